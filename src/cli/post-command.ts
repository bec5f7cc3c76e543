import { basename } from "node:path";
import { fillFilename } from "@presignd/client/node";
import { Command } from "commander";
import { clientFor, clientOptions } from "./client-options.js";
import { helpExamples } from "./help-examples.js";
import { runUpload, type UploadFlags, uploadOptions } from "./upload-options.js";

export function postCommand(): Command {
  const cmd = new Command("post")
    .description("upload a file as a browser would: a POST policy form (KEY may end in ${filename})")
    .argument("<key>", "object key")
    .requiredOption("-f, --file <path>", "the file to upload");
  for (const option of [...uploadOptions(), ...clientOptions()]) cmd.addOption(option);
  cmd.addHelpText(
    "after",
    helpExamples(
      "presignd post 'uploads/${filename}' -f report.csv -t text/csv   # stored as uploads/report.csv",
      "presignd presign post 'uploads/${filename}' -f report.csv --format curl   # the same, as a curl command",
    ),
  );
  return cmd.action((key: string, flags: UploadFlags & { file: string }) =>
    runUpload(fillFilename(key, basename(flags.file)), flags, "post", (request) =>
      clientFor(flags).uploadForm(key, flags.file, request),
    ),
  );
}
