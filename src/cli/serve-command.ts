import os from "node:os";
import { Command } from "commander";
import { helpExamples } from "./help-examples.js";
import { packageVersion } from "./package-version.js";
import { addServeOptions, settingLayers } from "./serve-options.js";

export function serveCommand(): Command {
  return addServeOptions(
    new Command("serve").description(
      "serve PresignService (Connect, gRPC and gRPC-Web on one port). Flags override PRESIGND_* env vars, which override the --config file.",
    ),
  )
    .addHelpText(
      "after",
      helpExamples(
        "presignd serve --dev                                  # embedded S3, no policy: local development",
        "presignd serve --config presignd.yaml                 # settings under the flag names: addr: 127.0.0.1:8080",
        "presignd serve --config presignd.yaml -a :9090        # a flag overrides PRESIGND_* and the file",
        "presignd serve --dev --provider r2                    # what R2 refuses, against the embedded S3",
      ),
    )
    .action(async (_options: unknown, command: Command) => {
      // Loaded here, not at the top: the server (AWS SDK, s3rver, SQLite, pg)
      // would cost every `presignd get/put` ~1 s of start-up and ~40 MiB.
      const [{ configFromLayers }, { createLogger, endLog }, { startServer }] = await Promise.all([
        import("../server/config/layers.js"),
        import("../server/logging/logger.js"),
        import("../server/start.js"),
      ]);
      const { startTracing } = await import("../server/tracing/tracing.js");
      const config = configFromLayers(await settingLayers(command));
      const logger = createLogger(config.logLevel);
      const tracing = await startTracing(process.env, packageVersion());
      if (tracing) logger.info("tracing: a span per RPC, exported with OTLP/HTTP as the OTEL_* variables say");
      const server = await startServer(config, logger, tracing ? { tracing } : {});
      let stopping = false;
      let exiting = false;
      // Every line reaches stdout before the process ends (endLog), the last one included.
      const exit = (code: number) => {
        exiting = true;
        void endLog().then(() => process.exit(code));
      };
      const stop = (signal: NodeJS.Signals) => {
        const signalCode = 128 + (os.constants.signals[signal] ?? 0);
        if (exiting) process.exit(signalCode);
        if (stopping) {
          // A second signal: no more waiting; the shell's code for the signal (130, 143).
          logger.warn({ signal }, "second signal: exiting at once, in-flight requests are cut");
          exit(signalCode);
          return;
        }
        stopping = true;
        logger.info({ signal }, "shutting down");
        server.close().then(
          () => {
            logger.info("stopped");
            exit(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, "shutdown failed");
            exit(1);
          },
        );
      };
      process.on("SIGINT", () => stop("SIGINT"));
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGHUP", () => {
        if (server.reloadPolicy) void server.reloadPolicy();
        else logger.warn("SIGHUP: no --policy file to reload");
      });
    });
}
