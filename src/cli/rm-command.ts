import { Command, Option } from "commander";
import { type ClientFlags, clientFor, clientOptions } from "./client-options.js";
import { confirmed } from "./confirm.js";
import { helpExamples } from "./help-examples.js";

interface RmFlags extends ClientFlags {
  versionId?: string;
  yes?: boolean;
}

/** What rm says when nothing confirmed the deletion (stdin is no terminal to ask on). */
export const UNCONFIRMED =
  "not deleting without confirmation: stdin is not a terminal to ask on; pass -y/--yes to delete";

export function rmCommand(): Command {
  const cmd = new Command("rm")
    .description("delete an object (a presigned DELETE); asks first unless -y/--yes")
    .argument("<key>", "object key")
    .addOption(new Option("--version-id <id>", "delete this version for good (S3 versionId)"))
    .option("-y, --yes", "delete without asking (required when stdin is not a terminal)");
  for (const option of clientOptions()) cmd.addOption(option);
  cmd.addHelpText(
    "after",
    `${helpExamples(
      "presignd rm reports/2026.csv                    # asks: delete reports/2026.csv? [y/N]",
      "presignd rm reports/2026.csv --yes              # scripts: no question",
      "presignd rm doc.pdf --version-id 3HL4kqtJlcpXroDTDmJ -y",
    )}\nS3 answers a DELETE of a key that does not exist with success, too.\n`,
  );
  return cmd.action(async (key: string, flags: RmFlags) => {
    const target = `${key}${flags.versionId ? ` (version ${flags.versionId})` : ""}${flags.bucket ? ` in bucket ${flags.bucket}` : ""}`;
    if (!flags.yes) {
      if (!process.stdin.isTTY) throw new Error(`${UNCONFIRMED} (${target})`);
      if (!(await confirmed(`delete ${target}? [y/N] `))) {
        process.stderr.write("not deleted\n");
        process.exitCode = 1;
        return;
      }
    }
    await clientFor(flags).deleteObject(key, {
      params: {
        ...(flags.bucket ? { bucket: flags.bucket } : {}),
        ...(flags.versionId ? { versionId: flags.versionId } : {}),
      },
    });
    if (!flags.quiet) process.stderr.write(`deleted ${target}\n`);
  });
}
