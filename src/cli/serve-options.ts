import { type Command, Command as CommanderCommand, CommanderError, Option } from "commander";
import type { ConfigFile } from "../server/config/config-file.js";
import type { Layers, LayerValues } from "../server/config/layers.js";
import { SERVE_SETTINGS, splitList } from "../server/config/settings.js";

/** The config file option of `serve` and `config print`. */
export const CONFIG_OPTION = "--config <file>";
const CONFIG_ENV = "PRESIGND_CONFIG";

/**
 * Adds every serve setting as a flag (its env var and default shown in help),
 * and --config. Commander only parses the command line here: the environment
 * and the file are read by settingLayers, with the same rules for every layer.
 */
export function addServeOptions(command: Command): Command {
  command.addOption(
    new Option(CONFIG_OPTION, "config file (YAML): any of these settings, under the flag names").env(CONFIG_ENV),
  );
  for (const setting of SERVE_SETTINGS) {
    const flags = `${setting.short ? `${setting.short}, ` : ""}--${setting.name}${setting.arg ? ` ${setting.arg}` : ""}`;
    const unset = setting.unsetMeans ? ` (unset: ${setting.unsetMeans})` : "";
    const option = new Option(flags, `${setting.description}${unset}`).env(setting.env);
    if (setting.default !== undefined) option.default(setting.default);
    if (setting.list)
      option.argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), ...splitList(value)]);
    command.addOption(option);
  }
  return command;
}

/** The layers of a parsed command: its flags, the PRESIGND_* environment and the --config file. */
export async function settingLayers(command: Command, env: NodeJS.ProcessEnv = process.env): Promise<Layers> {
  // Loaded here: the YAML parser and the checks are only for serve and config, not every get/put.
  const [{ readConfigFile }, { envValues }] = await Promise.all([
    import("../server/config/config-file.js"),
    import("../server/config/layers.js"),
  ]);
  const opts = command.opts() as Record<string, unknown>;
  const flags: LayerValues = {};
  for (const setting of SERVE_SETTINGS) {
    if (command.getOptionValueSource(setting.key) === "cli") flags[setting.key] = opts[setting.key] as string;
  }
  const configPath = command.getOptionValueSource("config") === "cli" ? opts.config : env[CONFIG_ENV] || undefined;
  const file: ConfigFile | undefined =
    typeof configPath === "string" ? await readConfigFile(configPath, suggestSetting) : undefined;
  return { flags, env: envValues(env), ...(file ? { file } : {}) };
}

const SETTING_NAMES = new Set(SERVE_SETTINGS.map((s) => s.name));

/**
 * The setting a mistyped config key meant: `drain_delay` and `drainDelay`
 * spelt as flags, else commander's own suggestion for the flag `--KEY`, so
 * that the file's "did you mean" is the command line's.
 */
export function suggestSetting(key: string): string | undefined {
  const kebab = key
    .replace(/_/g, "-")
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase();
  if (SETTING_NAMES.has(kebab)) return kebab;
  if (!/^[\w-]+$/.test(key)) return undefined;
  const probe = new CommanderCommand("serve")
    .exitOverride()
    .showSuggestionAfterError(true)
    .configureOutput({ writeErr: () => {}, writeOut: () => {} });
  for (const name of SETTING_NAMES) probe.option(`--${name}`);
  try {
    probe.parse([`--${kebab}`], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return /\(Did you mean --([\w-]+)\?\)/.exec(error.message)?.[1];
    throw error;
  }
  return undefined;
}
