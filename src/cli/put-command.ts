import { Command, Option } from "commander";
import { type ClientFlags, clientFor, clientOptions } from "./client-options.js";
import { parseMetadata } from "./metadata-option.js";
import { progressBar } from "./progress.js";

export function putCommand(): Command {
  const cmd = new Command("put")
    .description("upload an object through a presigned PUT (from stdin without -f)")
    .argument("<key>", "object key")
    .option("-f, --file <path>", "read from this file instead of stdin")
    .option("-t, --content-type <type>", "Content-Type to store")
    .addOption(
      new Option("-m, --metadata <name=value>", "user metadata (repeatable)").argParser(parseMetadata).default({}),
    );
  for (const option of clientOptions()) cmd.addOption(option);
  return cmd.action(
    async (
      key: string,
      flags: ClientFlags & { file?: string; contentType?: string; metadata: Record<string, string> },
    ) => {
      const client = clientFor(flags);
      const progress = progressBar(`put ${key}`, flags.quiet === true);
      try {
        const result = await client.upload(key, flags.file ?? process.stdin, {
          ...(flags.bucket ? { bucket: flags.bucket } : {}),
          ...(flags.contentType ? { contentType: flags.contentType } : {}),
          metadata: flags.metadata,
          ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        });
        progress.stop();
        if (!flags.quiet) process.stderr.write(`uploaded ${key}: ${result.bytes} bytes, ETag ${result.etag ?? "?"}\n`);
      } finally {
        progress.stop();
      }
    },
  );
}
