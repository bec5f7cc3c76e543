import { Command, CommanderError } from "commander";
import { completionCommand } from "./completion-command.js";
import { configCommand } from "./config-command.js";
import { doctorCommand } from "./doctor-command.js";
import { describeError } from "./errors.js";
import { reportFailure } from "./failure-line.js";
import { getCommand } from "./get-command.js";
import { headCommand } from "./head-command.js";
import { PROGRAM_EXAMPLES } from "./help-examples.js";
import { Interrupted } from "./interrupt.js";
import { notificationsCommand } from "./notifications-command.js";
import { packageVersion } from "./package-version.js";
import { postCommand } from "./post-command.js";
import { presignCommand } from "./presign-command.js";
import { putCommand } from "./put-command.js";
import { rmCommand } from "./rm-command.js";
import { serveCommand } from "./serve-command.js";
import { uploadsCommand } from "./uploads-command.js";
import { watchCommand } from "./watch-command.js";

const program = new Command("presignd")
  .description("Hands out short-lived S3 presigned requests, and moves bytes with them.")
  .version(packageVersion())
  .showHelpAfterError("(run with --help for usage)")
  .addHelpText("after", PROGRAM_EXAMPLES)
  .addCommand(serveCommand())
  .addCommand(configCommand())
  .addCommand(doctorCommand())
  .addCommand(getCommand())
  .addCommand(putCommand())
  .addCommand(postCommand())
  .addCommand(headCommand())
  .addCommand(rmCommand())
  .addCommand(watchCommand())
  .addCommand(uploadsCommand())
  .addCommand(notificationsCommand())
  .addCommand(presignCommand())
  .addCommand(completionCommand());

program.exitOverride();
// The server a client command talks to, for errors that name it.
let server: string | undefined;
program.hook("preAction", (_program, action) => {
  server = (action.opts() as { server?: string }).server;
});
try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander already printed help, the version or its own one-line error.
    process.exitCode = error.exitCode;
  } else {
    reportFailure(describeError(error, server ? { server } : {}));
    process.exitCode = error instanceof Interrupted ? error.exitCode : 1;
  }
}
