import { InvalidOptionError } from "../errors.js";

/** Progress of a resumable ranged download, as saved between runs. @private */
export interface DownloadCheckpoint {
  readonly version: 1;
  readonly etag: string;
  readonly size: number;
  readonly chunkSize: number;
  readonly done: readonly number[];
}

/** A destination that takes writes at any position: ranges are fetched in parallel. @private */
export interface RandomAccessDestination {
  readonly kind: "random";
  /** Called once the object's size is known; `resuming`: keep what a checkpoint says is there. */
  begin(size: number, resuming: boolean): Promise<void>;
  write(position: number, chunks: readonly Uint8Array[]): Promise<void>;
  /** All bytes written: make the result visible (rename, close). */
  finish(): Promise<Blob | undefined>;
  /** The transfer failed: keep what can be resumed, or remove it. */
  fail(keep: boolean): Promise<void>;
  /** Resumable destinations (a Node file with keepPartial) save their progress here. */
  readonly checkpoints?: {
    load(): Promise<DownloadCheckpoint | undefined>;
    save(checkpoint: DownloadCheckpoint): Promise<void>;
    clear(): Promise<void>;
  };
}

/** A destination that takes bytes in order: one GET, resumed with Range after a broken connection. @private */
export interface SequentialDestination {
  readonly kind: "sequential";
  /** Writes the chunks in order (a batch of ~1 MiB, see WriteBehind). */
  write(chunks: readonly Uint8Array[]): Promise<void>;
  finish(): Promise<void>;
  fail(error: unknown): Promise<void>;
}

/** @private */
export type Destination = RandomAccessDestination | SequentialDestination;

/** Where a download goes, on every platform: a WritableStream, a File System Access handle, or nothing (a Blob). */
export type DownloadDestination = WritableStream<Uint8Array> | FileSystemFileHandle;

/** @private */
export async function universalDestination(destination: unknown): Promise<Destination> {
  if (destination === undefined) return memoryDestination();
  if (typeof WritableStream !== "undefined" && destination instanceof WritableStream) {
    return writableDestination(destination as WritableStream<Uint8Array>);
  }
  if (isFileHandle(destination)) return fileHandleDestination(destination);
  throw new InvalidOptionError(
    "destination",
    "expected a WritableStream, a FileSystemFileHandle or none (a Blob); on Node, from @presignd/client/node, also a path or a Node stream",
  );
}

function isFileHandle(value: unknown): value is FileSystemFileHandle {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { kind?: unknown }).kind === "file" &&
    typeof (value as { createWritable?: unknown }).createWritable === "function"
  );
}

/** Collects ranges in memory and hands back one Blob. */
function memoryDestination(): RandomAccessDestination {
  let pieces: { position: number; chunks: readonly Uint8Array[] }[] = [];
  return {
    kind: "random",
    begin: async (_size, resuming) => {
      if (!resuming) pieces = [];
    },
    write: async (position, chunks) => {
      pieces.push({ position, chunks });
    },
    finish: async () => {
      pieces.sort((a, b) => a.position - b.position);
      return new Blob(pieces.flatMap((p) => p.chunks) as Uint8Array<ArrayBuffer>[]);
    },
    fail: async () => {
      pieces = [];
    },
  };
}

/** A WritableStream, written in order with its backpressure. */
export function writableDestination(stream: WritableStream<Uint8Array>): SequentialDestination {
  const writer = stream.getWriter();
  return {
    kind: "sequential",
    write: async (chunks) => {
      for (const chunk of chunks) await writer.write(chunk);
    },
    finish: () => writer.close(),
    fail: (error) => writer.abort(error).catch(() => {}),
  };
}

/** A File System Access file: positioned writes; the file changes only when the writable closes. */
function fileHandleDestination(handle: FileSystemFileHandle): RandomAccessDestination {
  let writable: FileSystemWritableFileStream | undefined;
  return {
    kind: "random",
    begin: async (size) => {
      writable ??= await handle.createWritable({ keepExistingData: false });
      await writable.truncate(size);
    },
    write: async (position, chunks) => {
      let at = position;
      for (const chunk of chunks) {
        await writable?.write({ type: "write", position: at, data: chunk as Uint8Array<ArrayBuffer> });
        at += chunk.byteLength;
      }
    },
    finish: async () => {
      await writable?.close();
      return undefined;
    },
    fail: async () => {
      await writable?.abort().catch(() => {});
    },
  };
}
