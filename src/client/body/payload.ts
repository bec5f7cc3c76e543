/**
 * Bytes of a known size that can be sent again (for a retry): a fresh stream
 * per attempt, or the bytes as a Blob where a platform API wants one.
 */
export interface Payload {
  readonly size: number;
  /** A Blob of the bytes: XHR and FormData take one without copying a file into memory. */
  blob(): Blob;
  /** A fresh stream of the bytes. */
  stream(): AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;
}

/** Chunks a Uint8Array is streamed in: large enough to be cheap per chunk, small enough to show progress. */
const CHUNK_BYTES = 1024 * 1024;

export function bytesPayload(bytes: Uint8Array): Payload {
  return {
    size: bytes.byteLength,
    blob: () => new Blob([bytes as Uint8Array<ArrayBuffer>]),
    stream: () => chunksOf(bytes),
  };
}

export function blobPayload(blob: Blob): Payload {
  return { size: blob.size, blob: () => blob, stream: () => blob.stream() };
}

async function* chunksOf(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += CHUNK_BYTES) yield bytes.subarray(at, at + CHUNK_BYTES);
}
