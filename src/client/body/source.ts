import { InvalidOptionError } from "../errors.js";
import { blobPayload, bytesPayload, type Payload } from "./payload.js";

/** What an upload reads, on every platform. The Node entry adds paths and Node streams. */
export type UploadSource = Blob | Uint8Array | ArrayBuffer | ReadableStream<Uint8Array>;

/** A source of known size, read in ranges (parts), each readable again. @private */
export interface SizedSource {
  readonly kind: "sized";
  readonly size: number;
  /** For forms ("${filename}") and the object's name. */
  readonly filename: string;
  /** A MIME type the source carries (a File's type), or "". */
  readonly type: string;
  /** Identifies these exact bytes across runs (name, size, mtime), for resuming; absent: not resumable. */
  readonly fingerprint?: string;
  slice(start: number, end: number): Payload;
}

/** A stream of unknown length: read once, in order. @private */
export interface StreamSource {
  readonly kind: "stream";
  readonly filename: string;
  readonly type: string;
  readonly chunks: AsyncIterator<Uint8Array>;
  /** Stops reading the source (stdin must not keep a process alive). */
  cancel(): Promise<void>;
}

/** @private */
export type OpenedSource = SizedSource | StreamSource;

/** Opens a universal source; `undefined` when it is none (the Node entry tries its own kinds). @private */
export function openSource(source: unknown): OpenedSource | undefined {
  if (typeof Blob !== "undefined" && source instanceof Blob) return blobSource(source);
  if (source instanceof Uint8Array) return bytesSource(source);
  if (source instanceof ArrayBuffer) return bytesSource(new Uint8Array(source));
  if (typeof ReadableStream !== "undefined" && source instanceof ReadableStream) {
    return streamSource((source as ReadableStream<Uint8Array>).getReader());
  }
  return undefined;
}

export function sourceKindError(): InvalidOptionError {
  return new InvalidOptionError(
    "source",
    "expected a Blob or File, a Uint8Array or ArrayBuffer, or a ReadableStream (on Node, from @presignd/client/node, also a path or a Node stream)",
  );
}

function blobSource(blob: Blob): SizedSource {
  const file = blob as Blob & { name?: unknown; lastModified?: unknown };
  const name = typeof file.name === "string" && file.name !== "" ? file.name : "blob";
  return {
    kind: "sized",
    size: blob.size,
    filename: name,
    type: blob.type,
    ...(typeof file.lastModified === "number" ? { fingerprint: `${name}|${blob.size}|${file.lastModified}` } : {}),
    slice: (start, end) => blobPayload(start === 0 && end === blob.size ? blob : blob.slice(start, end)),
  };
}

/** @private */
export function bytesSource(bytes: Uint8Array, filename = "blob", type = ""): SizedSource {
  return {
    kind: "sized",
    size: bytes.byteLength,
    filename,
    type,
    slice: (start, end) => bytesPayload(bytes.subarray(start, end)),
  };
}

/** @private */
export function streamSource(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  filename = "blob",
  type = "",
): StreamSource {
  return {
    kind: "stream",
    filename,
    type,
    chunks: {
      next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
    },
    cancel: () => reader.cancel(),
  };
}
