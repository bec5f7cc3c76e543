import { Command, CommanderError } from "commander";
import { describeError } from "./errors.js";
import { getCommand } from "./get-command.js";
import { packageVersion } from "./package-version.js";
import { postCommand } from "./post-command.js";
import { presignCommand } from "./presign-command.js";
import { putCommand } from "./put-command.js";
import { serveCommand } from "./serve-command.js";

const program = new Command("presignd")
  .description("Hands out short-lived S3 presigned requests, and moves bytes with them.")
  .version(packageVersion())
  .showHelpAfterError("(run with --help for usage)")
  .addCommand(serveCommand())
  .addCommand(getCommand())
  .addCommand(putCommand())
  .addCommand(postCommand())
  .addCommand(presignCommand());

program.exitOverride();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed help, the version or its own one-line error.
    process.exitCode = error.exitCode;
  } else {
    process.stderr.write(`presignd: ${describeError(error)}\n`);
    process.exitCode = 1;
  }
}
