import { Command } from "commander";
import { clientFor, clientOptions } from "./client-options.js";
import { runUpload, type UploadFlags, uploadOptions } from "./upload-options.js";

export function putCommand(): Command {
  const cmd = new Command("put")
    .description("upload an object through a presigned PUT (from stdin without -f)")
    .argument("<key>", "object key")
    .option("-f, --file <path>", "read from this file instead of stdin");
  for (const option of [...uploadOptions(), ...clientOptions()]) cmd.addOption(option);
  return cmd.action((key: string, flags: UploadFlags & { file?: string }) =>
    runUpload(key, flags, "put", (request) => clientFor(flags).upload(key, flags.file ?? process.stdin, request)),
  );
}
