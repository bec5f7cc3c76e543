import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Readable, Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { openSource, type StreamSource, sourceKindError } from "../body/source.js";
import { type SequentialDestination, universalDestination } from "../download/destination.js";
import type { Platform } from "../platform.js";
import { fileDestination } from "./file-destination.js";
import { fileSource } from "./file-source.js";

/** Node's platform: paths and Node streams besides the universal kinds; streams spool to a private temp file. @private */
export const nodePlatform: Platform = {
  async openSource(source) {
    if (typeof source === "string") return fileSource(source);
    if (source instanceof Readable) return nodeStreamSource(source);
    const opened = openSource(source);
    if (!opened) throw sourceKindError();
    return opened;
  },
  async spool(source) {
    const dir = await mkdtemp(join(tmpdir(), "presignd-"));
    const path = join(dir, "spool");
    try {
      await pipeline(Readable.from(iterate(source)), createWriteStream(path, { mode: 0o600 }));
      const sized = await fileSource(path, source.type);
      return { ...sized, filename: source.filename, cleanup: () => rm(dir, { recursive: true, force: true }) };
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  },
  async openDestination(destination) {
    if (typeof destination === "string") return fileDestination(destination);
    if (destination instanceof Writable) return nodeWritableDestination(destination);
    return universalDestination(destination);
  },
};

/** A Node stream (stdin, a socket, fs.createReadStream): read once; a file stream names the file. */
function nodeStreamSource(stream: Readable): StreamSource {
  const path = (stream as Readable & { path?: unknown }).path;
  const iterator = (stream as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  return {
    kind: "stream",
    filename: typeof path === "string" ? basename(path) : "blob",
    type: "",
    chunks: iterator,
    cancel: async () => {
      // Destroying reaches the source (stdin): a pending read must not keep the process alive.
      stream.destroy();
    },
  };
}

async function* iterate(source: StreamSource): AsyncGenerator<Uint8Array> {
  for (let next = await source.chunks.next(); !next.done; next = await source.chunks.next()) yield next.value;
}

/** A Node Writable, with its backpressure; ended when the download completes. */
function nodeWritableDestination(stream: Writable): SequentialDestination {
  let failure: unknown;
  const onError = (error: unknown) => {
    failure ??= error;
  };
  stream.on("error", onError);
  return {
    kind: "sequential",
    async write(chunks) {
      if (failure !== undefined) throw failure;
      // Corked: one writev for the batch (fs streams), then the stream's backpressure.
      stream.cork();
      let ready = true;
      for (const chunk of chunks) ready = stream.write(chunk);
      stream.uncork();
      if (!ready) await drained(stream);
      if (failure !== undefined) throw failure;
    },
    async finish() {
      stream.end();
      await finished(stream);
      stream.off("error", onError);
    },
    async fail(error) {
      stream.off("error", onError);
      // A write still in flight that completes after destroy() must not become an unhandled 'error'.
      stream.on("error", () => {});
      stream.destroy(error instanceof Error ? error : undefined);
    },
  };
}

/** Resolves once the stream drains or closes (then the next write reports the failure); leaves no listener behind. */
function drained(stream: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      stream.off("drain", done);
      stream.off("close", done);
      resolve();
    };
    stream.on("drain", done);
    stream.on("close", done);
  });
}
