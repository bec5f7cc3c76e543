import { Command, Option } from "commander";
import { type ClientFlags, clientFor, clientOptions } from "./client-options.js";
import { parseMetadata } from "./metadata-option.js";
import { progressBar } from "./progress.js";

export function postCommand(): Command {
  const cmd = new Command("post")
    .description("upload a file as a browser would: a POST policy form (KEY may end in ${filename})")
    .argument("<key>", "object key")
    .requiredOption("-f, --file <path>", "the file to upload")
    .option("-t, --content-type <type>", "Content-Type to store")
    .addOption(
      new Option("-m, --metadata <name=value>", "user metadata (repeatable)").argParser(parseMetadata).default({}),
    );
  for (const option of clientOptions()) cmd.addOption(option);
  return cmd.action(
    async (
      key: string,
      flags: ClientFlags & { file: string; contentType?: string; metadata: Record<string, string> },
    ) => {
      const client = clientFor(flags);
      const progress = progressBar(`post ${key}`, flags.quiet === true);
      try {
        const result = await client.uploadForm(key, flags.file, {
          ...(flags.bucket ? { bucket: flags.bucket } : {}),
          ...(flags.contentType ? { contentType: flags.contentType } : {}),
          metadata: flags.metadata,
          ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
        });
        progress.stop();
        if (!flags.quiet) process.stderr.write(`uploaded ${key} (HTTP ${result.status}), ETag ${result.etag ?? "?"}\n`);
      } finally {
        progress.stop();
      }
    },
  );
}
