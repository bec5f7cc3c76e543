import { createWriteStream, fstatSync } from "node:fs";
import { Writable } from "node:stream";
import { type Progress, partialFiles } from "@presignd/client/node";
import { Command, Option } from "commander";
import { parseByteSize, parseCount } from "./byte-size.js";
import { type ClientFlags, clientFor, clientOptions } from "./client-options.js";
import { type GetObjectFlags, getObjectOptions, getObjectRequest } from "./get-options.js";
import { helpExamples } from "./help-examples.js";
import { interruptible, keptForResume } from "./interrupt.js";
import { progressBar } from "./progress.js";
import { jsonOption, type ReportFlags, reported } from "./transfer-report.js";

interface GetFlags extends ClientFlags, ReportFlags, GetObjectFlags {
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
    .option("-f, --file <path>", 'write to this file instead of stdout ("-": stdout)')
    .addOption(new Option("-c, --concurrency <n>", "ranges in flight (files)").argParser(parseCount).default(4))
    .addOption(
      new Option("--chunk-size <size>", "bytes per ranged GET")
        .argParser(parseByteSize)
        .default(16 * 1024 * 1024, "16MiB"),
    );
  for (const option of [...getObjectOptions({ contentType: true }), jsonOption(), ...clientOptions()]) {
    cmd.addOption(option);
  }
  cmd.addHelpText(
    "after",
    helpExamples(
      "presignd get reports/2026.csv                          # to stdout",
      "presignd get big.iso -f big.iso -c 8                   # parallel ranges; rerun to resume",
      "presignd get logs/app.log --range -1000                # the last 1000 bytes",
      "presignd get doc.pdf --version-id 3HL4kqtJlcpXroDTDmJ -f old.pdf",
      "presignd get big.iso -f big.iso --json                 # {key, bytes, etag, parts, seconds …}",
    ),
  );
  return cmd.action(async (key: string, flags: GetFlags) => {
    const file = flags.file === "-" ? undefined : flags.file;
    if (flags.json && file === undefined) throw new Error("--json needs -f/--file: stdout carries the object");
    const client = clientFor(flags);
    // A bar on the terminal the object is written to would be garbled by it.
    const progress = progressBar(`get ${key}`, flags.quiet === true || (file === undefined && process.stdout.isTTY));
    let last: Progress = { transferred: 0 };
    const onProgress = (p: Progress) => {
      last = p;
      progress.onProgress?.(p);
    };
    try {
      await reported("downloaded", key, flags, async () => {
        const result = await interruptible(
          (signal) =>
            client.download(key, file ?? stdoutSink(), {
              params: { ...getObjectRequest(flags), ...(flags.bucket ? { bucket: flags.bucket } : {}) },
              signal,
              onProgress,
              concurrency: flags.concurrency,
              chunkSize: flags.chunkSize,
              ...(file !== undefined ? { keepPartial: true } : {}),
            }),
          async () => {
            if (file === undefined) return `stdout is incomplete (${last.transferred} of ${last.total ?? "?"} bytes)`;
            const files = partialFiles(file);
            return keptForResume(files.state, files.partial, "nothing was kept");
          },
        );
        progress.stop();
        return result;
      });
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
  if (fstatSync(1).isFile()) return createWriteStream("", { fd: 1, autoClose: false, highWaterMark: 4 * 1024 * 1024 });
  // The download ends (or destroys) its destination; ending process.stdout
  // on a socket (ssh, a parent's socketpair) shuts it down for every process
  // sharing it, so the next command of a script gets EPIPE. Forward instead.
  const stdout = process.stdout;
  return new Writable({
    highWaterMark: stdout.writableHighWaterMark,
    write: (chunk, _encoding, done) => stdout.write(chunk, done),
    writev: (chunks, done) => {
      stdout.cork();
      for (const { chunk } of chunks.slice(0, -1)) stdout.write(chunk);
      stdout.write(chunks.at(-1)?.chunk ?? Buffer.alloc(0), done);
      stdout.uncork();
    },
    final: (done) => done(),
  });
}
