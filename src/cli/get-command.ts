import { createWriteStream, fstatSync } from "node:fs";
import type { Writable } from "node:stream";
import { Command, Option } from "commander";
import { partialFiles } from "../client/ranged-download.js";
import type { Progress } from "../client/transfer.js";
import { parseByteSize, parseCount } from "./byte-size.js";
import { type ClientFlags, clientFor, clientOptions } from "./client-options.js";
import { interruptible, keptForResume } from "./interrupt.js";
import { progressBar } from "./progress.js";

interface GetFlags extends ClientFlags {
  file?: string;
  concurrency: number;
  chunkSize: number;
}

export function getCommand(): Command {
  const cmd = new Command("get")
    .description(
      "download an object: into a file with parallel ranged GETs (an interrupted download resumes when run again), to stdout in order",
    )
    .argument("<key>", "object key")
    .option("-f, --file <path>", "write to this file instead of stdout")
    .addOption(new Option("-c, --concurrency <n>", "ranges in flight (files)").argParser(parseCount).default(4))
    .addOption(
      new Option("--chunk-size <size>", "bytes per ranged GET")
        .argParser(parseByteSize)
        .default(16 * 1024 * 1024, "16MiB"),
    );
  for (const option of clientOptions()) cmd.addOption(option);
  return cmd.action(async (key: string, flags: GetFlags) => {
    const client = clientFor(flags);
    const progress = progressBar(`get ${key}`, flags.quiet === true || flags.file === undefined);
    let last: Progress = { transferred: 0 };
    const onProgress = (p: Progress) => {
      last = p;
      progress.onProgress?.(p);
    };
    try {
      await interruptible(
        (signal) =>
          client.download(key, flags.file ?? stdoutSink(), {
            signal,
            ...(flags.bucket ? { bucket: flags.bucket } : {}),
            onProgress,
            concurrency: flags.concurrency,
            chunkSize: flags.chunkSize,
            keepPartial: true,
          }),
        async () => {
          if (flags.file === undefined) {
            return `stdout is incomplete (${last.transferred} of ${last.total ?? "?"} bytes)`;
          }
          const files = partialFiles(flags.file);
          return keptForResume(files.state, files.partial, "nothing was kept");
        },
      );
      progress.stop();
    } finally {
      progress.clear();
    }
  });
}

/**
 * stdout redirected to a file is a synchronous stream in Node (one blocking
 * write per chunk, no writev); a file stream on fd 1 takes a download's
 * batches as one writev each, off the event loop. Pipes and terminals stay
 * process.stdout.
 */
function stdoutSink(): Writable {
  if (!fstatSync(1).isFile()) return process.stdout;
  return createWriteStream("", { fd: 1, autoClose: false, highWaterMark: 4 * 1024 * 1024 });
}
