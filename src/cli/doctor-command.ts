import { Command } from "commander";
import type { CheckResult } from "../server/doctor/doctor-result.js";
import { confirmed } from "./confirm.js";
import { helpExamples } from "./help-examples.js";
import { addServeOptions, settingLayers } from "./serve-options.js";

interface DoctorFlags {
  json?: boolean;
  fixCors?: boolean;
  yes?: boolean;
}

/** What --fix-cors says when nothing confirmed the change (stdin is no terminal to ask on). */
export const UNCONFIRMED_CORS =
  "not writing bucket CORS without confirmation: stdin is not a terminal to ask on; pass -y/--yes to write it";

export function doctorCommand(): Command {
  return addServeOptions(
    new Command("doctor").description(
      "check, with serve's settings and credentials, what would break presigned requests: credentials, clock skew, buckets and regions, --public-endpoint, bucket CORS for --cors-origin, multipart cleanup, versioning. Exit 1 when a check fails.",
    ),
  )
    .option("--json", "print the results as JSON (an object with results and summary)")
    .option("--fix-cors", "write the bucket CORS rules --cors-origin needs (shows the XML and asks first)")
    .option("-y, --yes", "with --fix-cors: write without asking (required when stdin is not a terminal)")
    .addHelpText(
      "after",
      `${helpExamples(
        "presignd doctor --config presignd.yaml                       # one line per check: ok, warn or fail, with the fix",
        "presignd doctor --config presignd.yaml --json                # the same as JSON",
        "presignd doctor --config presignd.yaml --fix-cors            # shows the CORS XML per bucket, asks y/N",
      )}\nExit status: 0 when no check fails (warnings included), 1 when one does.\n`,
    )
    .action(async (_options: unknown, command: Command) => {
      const flags = command.opts() as DoctorFlags;
      // Loaded here, as serve loads the server.
      const [{ configFromLayers }, { createLogger }, doctor, { doctorExitCode }] = await Promise.all([
        import("../server/config/layers.js"),
        import("../server/logging/logger.js"),
        import("../server/doctor/run-doctor.js"),
        import("../server/doctor/doctor-result.js"),
      ]);
      const config = configFromLayers(await settingLayers(command));
      if (config.dev) throw new Error("doctor checks a real store: --dev's embedded S3 is set up by presignd itself");
      if (flags.yes && !flags.fixCors) throw new Error("-y/--yes confirms --fix-cors: pass --fix-cors too");
      if (flags.fixCors && !config.cors?.origins.length)
        throw new Error(
          "--fix-cors writes the bucket CORS the --cors-origin pages need: set --cors-origin, as serve has it",
        );
      const deps = { logger: createLogger("silent") };
      const backend = await doctor.openDoctorBackend(config, deps);
      if (!("sdkClient" in backend)) return report([backend], flags, doctorExitCode);
      try {
        let results = await doctor.runDoctor(config, backend, deps);
        const fixes: { bucket: string; changes: readonly string[]; xml: string; written: boolean }[] = [];
        if (flags.fixCors) {
          const plans = await doctor.planCorsFixes(config, backend, results);
          if (plans.length === 0)
            process.stderr.write("--fix-cors: every bucket's CORS already passes; nothing to write\n");
          for (const plan of plans) {
            process.stderr.write(
              `--fix-cors: bucket ${plan.bucket}: ${plan.changes.join("; ")}; PutBucketCors with:\n${plan.xml}`,
            );
          }
          let write = plans.length > 0;
          if (write && !flags.yes) {
            if (!process.stdin.isTTY) throw new Error(`${UNCONFIRMED_CORS} (${plans.map((p) => p.bucket).join(", ")})`);
            write = await confirmed(
              `write this CORS configuration to ${plans.map((p) => p.bucket).join(", ")}? [y/N] `,
            );
            if (!write) process.stderr.write("bucket CORS not written\n");
          }
          if (write) {
            const rechecked = await doctor.applyCorsFixes(config, backend, plans);
            results = results.map((r) => rechecked.find((n) => r.check === "cors" && n.bucket === r.bucket) ?? r);
          }
          for (const plan of plans)
            fixes.push({ bucket: plan.bucket, changes: plan.changes, xml: plan.xml, written: write });
        }
        report(results, flags, doctorExitCode, flags.fixCors ? fixes : undefined);
      } finally {
        backend.close();
      }
    });
}

const STATUS_WIDTH = 4;

/** One line per result (status, check, bucket, message, fix) and a summary; or one JSON document. */
function report(
  results: readonly CheckResult[],
  flags: DoctorFlags,
  exitCode: (results: readonly CheckResult[]) => 0 | 1,
  corsFixes?: readonly unknown[],
): void {
  const summary = { ok: 0, warn: 0, fail: 0 };
  for (const r of results) summary[r.status]++;
  if (flags.json) {
    process.stdout.write(`${JSON.stringify({ results, summary, ...(corsFixes ? { corsFixes } : {}) }, null, 2)}\n`);
  } else {
    for (const r of results) {
      const where = r.bucket ? ` ${r.bucket}` : "";
      const fix = r.fix ? ` (fix: ${r.fix})` : "";
      process.stdout.write(`${r.status.padEnd(STATUS_WIDTH)} ${r.check}${where}: ${r.message}${fix}\n`);
    }
    process.stdout.write(`${summary.ok} ok, ${summary.warn} warn, ${summary.fail} fail\n`);
  }
  process.exitCode = exitCode(results);
}
