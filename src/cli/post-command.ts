import { basename } from "node:path";
import { Command } from "commander";
import { clientFor, clientOptions } from "./client-options.js";
import { runUpload, type UploadFlags, uploadOptions } from "./upload-options.js";

export function postCommand(): Command {
  const cmd = new Command("post")
    .description("upload a file as a browser would: a POST policy form (KEY may end in ${filename})")
    .argument("<key>", "object key")
    .requiredOption("-f, --file <path>", "the file to upload");
  for (const option of [...uploadOptions(), ...clientOptions()]) cmd.addOption(option);
  return cmd.action((key: string, flags: UploadFlags & { file: string }) =>
    // Name the object as it will be stored: S3 fills in ${filename}.
    runUpload(key.replace("${filename}", basename(flags.file)), flags, "post", (request) =>
      clientFor(flags).uploadForm(key, flags.file, request),
    ),
  );
}
