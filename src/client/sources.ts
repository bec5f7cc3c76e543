import { createReadStream, createWriteStream } from "node:fs";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream, WritableStream as WebWritableStream } from "node:stream/web";

/** What an upload reads: a file path, bytes, or a Node or Web stream. */
export type UploadSource = string | Uint8Array | Readable | WebReadableStream<Uint8Array> | ReadableStream<Uint8Array>;
/** Where a download goes: a file path, or a Node or Web stream. */
export type DownloadDestination = string | Writable | WebWritableStream<Uint8Array> | WritableStream<Uint8Array>;

/**
 * fs read size for file sources: with the default 64 KiB, every chunk costs
 * a read, a socket write and stream callbacks, which on a busy machine is
 * more client CPU than the bytes themselves.
 */
export const FILE_READ_BYTES = 1024 * 1024;

export interface OpenedSource {
  /** Size in bytes when known up front. */
  readonly size?: number;
  /** A file name for forms ("${filename}"). */
  readonly filename: string;
  /** The file, for a file source (read in ranges by multipart uploads). */
  readonly path?: string;
  /** True when open() can be called again (retries). */
  readonly replayable: boolean;
  open(): Readable;
}

export async function openSource(source: UploadSource): Promise<OpenedSource> {
  if (typeof source === "string") {
    const info = await stat(source);
    if (!info.isFile()) throw new Error(`${source} is not a regular file`);
    return {
      size: info.size,
      path: source,
      filename: basename(source),
      replayable: true,
      open: () => createReadStream(source, { highWaterMark: FILE_READ_BYTES }),
    };
  }
  if (source instanceof Uint8Array) {
    return { size: source.byteLength, filename: "blob", replayable: true, open: () => Readable.from([source]) };
  }
  if (source instanceof Readable) return { filename: "blob", replayable: false, open: once(() => source) };
  return {
    filename: "blob",
    replayable: false,
    open: once(() => Readable.fromWeb(source as WebReadableStream<Uint8Array>)),
  };
}

export interface OpenedDestination {
  /** A file path: written to a temporary name and renamed when complete. */
  readonly path?: string;
  open(): Writable;
}

export function openDestination(destination: DownloadDestination): OpenedDestination {
  if (typeof destination === "string") {
    return { path: destination, open: () => createWriteStream(destination) };
  }
  if (destination instanceof Writable) return { open: () => destination };
  return { open: () => Writable.fromWeb(destination as WebWritableStream<Uint8Array>) };
}

function once<T>(make: () => T): () => T {
  let used = false;
  return () => {
    if (used) throw new Error("a stream source can be read only once");
    used = true;
    return make();
  };
}

/**
 * A source whose size is known, spooling a stream of unknown length to a
 * private temporary file (S3 needs Content-Length for PUT and POST). Call
 * cleanup() when done.
 */
export async function withKnownSize(
  source: OpenedSource,
): Promise<OpenedSource & { size: number; cleanup(): Promise<void> }> {
  if (source.size !== undefined) {
    return { ...source, size: source.size, cleanup: async () => {} };
  }
  const dir = await mkdtemp(join(tmpdir(), "presignd-"));
  const path = join(dir, "spool");
  try {
    await pipeline(source.open(), createWriteStream(path, { mode: 0o600 }));
    const { size } = await stat(path);
    return {
      size,
      filename: source.filename,
      replayable: true,
      open: () => createReadStream(path, { highWaterMark: FILE_READ_BYTES }),
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
