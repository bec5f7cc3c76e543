import { ConfigError, parseEnvBoolean, parseServeOptions, type RawServeOptions, type ServerConfig } from "./config.js";
import type { ConfigFile } from "./config-file.js";
import { SERVE_SETTINGS, type ServeSetting, type SettingValue, splitList } from "./settings.js";

/** Where a setting's value came from, highest precedence first. */
export type SettingSource = "flag" | "env" | "file" | "default";

/** Values of one layer (the command line, or the environment), by RawServeOptions field. */
export type LayerValues = Partial<Record<keyof RawServeOptions, SettingValue>>;

export interface Layers {
  /** Flags given on the command line. */
  readonly flags?: LayerValues;
  /** PRESIGND_* variables, as envValues reads them. */
  readonly env?: LayerValues;
  readonly file?: ConfigFile;
}

/** One setting after the merge: its value (undefined: unset, no default) and the layer that gave it. */
export interface ResolvedSetting {
  readonly setting: ServeSetting;
  readonly value?: SettingValue;
  readonly source: SettingSource;
  /** "file:line:col" when the file gave the value. */
  readonly at?: string;
}

/**
 * The PRESIGND_* variables of `env`: repeatable settings comma-separated,
 * switches as true/false (1/0, yes/no, on/off). Empty variables are unset.
 */
export function envValues(env: NodeJS.ProcessEnv): LayerValues {
  const values: LayerValues = {};
  const problems: string[] = [];
  for (const setting of SERVE_SETTINGS) {
    const text = env[setting.env];
    if (text === undefined || text === "") continue;
    if (!setting.arg) {
      try {
        const on = parseEnvBoolean(text, setting.env);
        if (on !== undefined) values[setting.key] = on;
      } catch (error) {
        problems.push((error as Error).message);
      }
    } else {
      values[setting.key] = setting.list ? splitList(text) : text;
    }
  }
  if (problems.length > 0) throw ConfigError.of(problems);
  return values;
}

/** Flags > env > file > defaults, for every setting. */
export function resolveSettings(layers: Layers): ResolvedSetting[] {
  return SERVE_SETTINGS.map((setting): ResolvedSetting => {
    const flag = layers.flags?.[setting.key];
    if (flag !== undefined) return { setting, value: flag, source: "flag" };
    const env = layers.env?.[setting.key];
    if (env !== undefined) return { setting, value: env, source: "env" };
    const file = layers.file?.values.get(setting.key);
    if (file !== undefined) return { setting, value: file.value, source: "file", at: file.at };
    return setting.default === undefined
      ? { setting, source: "default" }
      : { setting, value: setting.default, source: "default" };
  });
}

/** The merged settings as parseServeOptions takes them. */
export function rawServeOptions(resolved: readonly ResolvedSetting[], file?: ConfigFile): RawServeOptions {
  const raw: Record<string, unknown> = {};
  for (const { setting, value } of resolved) if (value !== undefined) raw[setting.key] = value;
  const policy = resolved.find((r) => r.setting.key === "policy");
  if (file?.policyInline && policy?.source === "file") raw.policyInline = true;
  return raw as unknown as RawServeOptions;
}

/**
 * The one ServerConfig of `presignd serve`: the layers merged, then validated
 * once. The file's shape problems and every invalid value are reported
 * together; a file's values are named by key and file:line:col.
 */
export function configFromLayers(layers: Layers): ServerConfig {
  const resolved = resolveSettings(layers);
  const file = layers.file;
  const shape = file?.problems ?? [];
  const at = new Map(resolved.flatMap((r) => (r.at ? [[r.setting.key, r.at] as const] : [])));
  let config: ServerConfig;
  try {
    config = parseServeOptions(
      rawServeOptions(resolved, file),
      file ? { file: file.path, at: (key) => at.get(key) } : undefined,
    );
  } catch (error) {
    if (!(error instanceof ConfigError) || !file) throw error;
    throw ConfigError.of(byPosition([...shape, ...error.problems]));
  }
  if (shape.length > 0) throw ConfigError.of(shape);
  return config;
}

/** Problems in file order ("file:line:col: …" by line and column); the others, naming no position, after. */
function byPosition(problems: readonly string[]): string[] {
  const position = (problem: string) => {
    const match = /^.*?:(\d+):(\d+): /.exec(problem);
    return match ? Number(match[1]) * 1e6 + Number(match[2]) : Number.POSITIVE_INFINITY;
  };
  return [...problems].sort((a, b) => position(a) - position(b));
}
