import type { Readable } from "node:stream";
import { finished } from "node:stream/promises";

/**
 * Bytes a download hands its destination at a time. Node's HTTP client emits
 * every socket read (≤ 64 KiB) as a chunk; a write, a promise and a progress
 * report per chunk cost more client CPU than the bytes themselves.
 */
export const DOWNLOAD_BATCH_BYTES = 1024 * 1024;

/**
 * Reads a response body with 'data' events and hands it to `write` in batches
 * of about DOWNLOAD_BATCH_BYTES (the socket's own chunks, not copied). One
 * batch may be written while the next one fills; if that one is full first,
 * the response is paused until the write is done. After the body ends or
 * breaks, what arrived is written before this settles, so a broken
 * connection leaves every received byte written (and resumable after).
 * Rejects with the read error (a broken connection, an abort) or the first
 * write error, which also stops the response.
 */
export async function writeBodyInBatches(
  body: Readable,
  write: (chunks: Buffer[], bytes: number) => void | Promise<void>,
): Promise<void> {
  let chunks: Buffer[] = [];
  let bytes = 0;
  let pending = 0;
  let writing: Promise<void> = Promise.resolve();
  let writeError: { error: unknown } | undefined;
  const flush = () => {
    if (bytes === 0 || writeError) return;
    const batch = chunks;
    const size = bytes;
    chunks = [];
    bytes = 0;
    pending++;
    writing = writing
      .then(() => (writeError ? undefined : write(batch, size)))
      .catch((error: unknown) => {
        writeError ??= { error };
        body.destroy(error as Error);
      })
      .finally(() => {
        pending--;
        if (pending <= 1 && body.isPaused() && !writeError) body.resume();
      });
  };
  body.on("data", (chunk: Buffer) => {
    chunks.push(chunk);
    bytes += chunk.length;
    if (bytes < DOWNLOAD_BATCH_BYTES) return;
    flush();
    if (pending > 1) body.pause();
  });
  let readError: { error: unknown } | undefined;
  try {
    await finished(body);
  } catch (error) {
    readError = { error };
  }
  flush();
  await writing;
  if (writeError) throw writeError.error;
  if (readError) throw readError.error;
}
