import { Command } from "commander";
import { type ClientFlags, clientFor, clientOptions } from "./client-options.js";
import { progressBar } from "./progress.js";

export function getCommand(): Command {
  const cmd = new Command("get")
    .description("download an object through a presigned GET (to stdout without -f)")
    .argument("<key>", "object key")
    .option("-f, --file <path>", "write to this file instead of stdout");
  for (const option of clientOptions()) cmd.addOption(option);
  return cmd.action(async (key: string, flags: ClientFlags & { file?: string }) => {
    const client = clientFor(flags);
    const progress = progressBar(`get ${key}`, flags.quiet === true || flags.file === undefined);
    try {
      await client.download(key, flags.file ?? process.stdout, {
        ...(flags.bucket ? { bucket: flags.bucket } : {}),
        ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      });
    } finally {
      progress.stop();
    }
  });
}
