import { Argument, Command } from "commander";
import { helpExamples } from "./help-examples.js";
import { addServeOptions, settingLayers, suggestSetting } from "./serve-options.js";

export function configCommand(): Command {
  return addServeOptions(
    new Command("config")
      .description(
        "check a config file (every problem, as file:line:col), or print the effective serve settings with the source of each (flags and env apply to print)",
      )
      .addArgument(new Argument("<action>", "check FILE, or print").choices(["check", "print"]))
      .addArgument(new Argument("[file]", "the config file to check")),
  )
    .addHelpText(
      "after",
      helpExamples(
        "presignd config check presignd.yaml               # exit 1 and one line per problem, or one OK line",
        "presignd config print --config presignd.yaml      # YAML, '# flag', '# env …', '# file …:line:col' or '# default'",
        "PRESIGND_ADDR=:9090 presignd config print --config presignd.yaml --log-level debug",
      ),
    )
    .action(async (action: string, file: string | undefined, _options: unknown, command: Command) => {
      // Loaded here, as serve loads the server: not for every get/put.
      const [{ readConfigFile }, layers, { printSettings }, { loadPolicyFile }, { ConfigError }] = await Promise.all([
        import("../server/config/config-file.js"),
        import("../server/config/layers.js"),
        import("../server/config/print-settings.js"),
        import("../server/access/policy-file.js"),
        import("../server/config/config.js"),
      ]);
      const problemsOf = (error: unknown): readonly string[] => {
        if (error instanceof ConfigError) return error.problems;
        throw error;
      };
      if (action === "check") {
        const path = file ?? (command.opts() as { config?: string }).config;
        if (!path) throw new Error("config check: name the file (presignd config check presignd.yaml)");
        // The file alone, over the defaults: flags and PRESIGND_* variables are not read.
        const config = await readConfigFile(path, suggestSetting);
        const problems: string[] = [];
        try {
          layers.configFromLayers({ file: config });
        } catch (error) {
          problems.push(...problemsOf(error));
        }
        const policy = config.values.get("policy");
        if (policy && typeof policy.value === "string" && !config.problems.some((p) => p.startsWith(policy.at))) {
          try {
            const loaded = await loadPolicyFile({
              path: policy.value,
              inline: config.policyInline,
              setting: `${policy.at}: policy`,
            });
            for (const warning of loaded.warnings) process.stderr.write(`warning: ${warning}\n`);
          } catch (error) {
            problems.push(...problemsOf(error));
          }
        }
        if (problems.length > 0) {
          process.stdout.write(`${problems.join("\n")}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`${path}: OK (${config.values.size} settings; the rest default)\n`);
        return;
      }
      if (file !== undefined) throw new Error(`config print reads --config FILE (or PRESIGND_CONFIG), not "${file}"`);
      const merged = await settingLayers(command);
      let stores: ReturnType<typeof layers.configFromLayers>["stores"] | undefined;
      let refused: readonly string[] = [];
      try {
        stores = layers.configFromLayers(merged).stores;
      } catch (error) {
        refused = problemsOf(error);
      }
      process.stdout.write(printSettings(layers.resolveSettings(merged), merged.file, stores));
      // Printed anyway (to see where each value came from); serve would refuse these.
      for (const problem of refused) process.stderr.write(`${problem}\n`);
      if (refused.length > 0) process.exitCode = 1;
    });
}
