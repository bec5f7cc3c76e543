import { createReadStream, openAsBlob } from "node:fs";
import { stat } from "node:fs/promises";
import { basename, resolve } from "node:path";
import type { SizedSource } from "../body/source.js";
import { InvalidOptionError } from "../errors.js";

/**
 * fs read size: with the default 64 KiB, every chunk costs a read, a socket
 * write and stream callbacks, which on a busy machine is more client CPU
 * than the bytes themselves. (A file Blob's stream() reads 64 KiB: 2.6×
 * slower than this for 1 GiB, so ranges are read with fs streams.)
 */
const FILE_READ_BYTES = 1024 * 1024;

/** A file, read in ranges (parts) without buffering; recognised across runs by path, size and mtime. */
export async function fileSource(path: string, type = ""): Promise<SizedSource> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new InvalidOptionError(
      "source",
      `cannot read ${path}: ${code === "ENOENT" ? "no such file" : (code ?? String(error))}`,
    );
  }
  if (!info.isFile()) throw new InvalidOptionError("source", `${path} is not a regular file`);
  const size = info.size;
  // FormData wants a Blob: a file-backed one, sliced (its reads fail if the file changes).
  const whole = size > 0 ? await openAsBlob(path) : new Blob([]);
  return {
    kind: "sized",
    size,
    filename: basename(path),
    type,
    fingerprint: `${resolve(path)}|${size}|${info.mtimeMs}`,
    slice: (start, end) => ({
      size: end - start,
      blob: () => whole.slice(start, end),
      stream: () =>
        end > start ? createReadStream(path, { start, end: end - 1, highWaterMark: FILE_READ_BYTES }) : nothing(),
    }),
  };
}

async function* nothing(): AsyncGenerator<Uint8Array> {}
