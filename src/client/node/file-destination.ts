import { type FileHandle, open, rename, rm, stat } from "node:fs/promises";
import type { DownloadCheckpoint, RandomAccessDestination } from "../download/destination.js";
import { TransferError } from "../errors.js";
import { fileStateStore } from "./file-state-store.js";

/** The suffix of a download's file until it is complete. */
export const PARTIAL_SUFFIX = ".presignd-partial";

/**
 * Where a download into `path` keeps its bytes until complete, and the state
 * that makes them resumable (which ranges are done, for which ETag).
 */
export function partialFiles(path: string): { readonly partial: string; readonly state: string } {
  const partial = `${path}${PARTIAL_SUFFIX}`;
  return { partial, state: `${partial}.json` };
}

/**
 * A file destination: positioned writes into `<path>.presignd-partial`,
 * renamed to `path` when complete and of the right size; with keepPartial,
 * a failure keeps it and its checkpoint for the next call.
 */
export function fileDestination(path: string): RandomAccessDestination {
  const { partial, state } = partialFiles(path);
  const checkpoints = fileStateStore(state);
  let handle: FileHandle | undefined;
  let expected = 0;
  const close = async () => {
    const open = handle;
    handle = undefined;
    await open?.close().catch(() => {});
  };
  return {
    kind: "random",
    async begin(size, resuming) {
      expected = size;
      if (handle && !resuming) await handle.truncate(0);
      handle ??= await open(partial, resuming ? "r+" : "w", 0o644);
    },
    async write(position, chunks) {
      if (!handle) throw new Error("file destination written before begin()");
      await handle.writev(chunks as Uint8Array[], position);
    },
    async finish() {
      if (!handle) handle = await open(partial, "w", 0o644);
      await handle.sync();
      const { size } = await handle.stat();
      await close();
      if (size !== expected) throw new TransferError(`downloaded ${size} bytes, S3 reported ${expected}`, false);
      await rename(partial, path);
      return undefined;
    },
    async fail(keep) {
      await close();
      if (!keep) {
        await rm(partial, { force: true });
        await rm(state, { force: true });
      }
    },
    checkpoints: {
      async load() {
        const text = await checkpoints.get("download").catch(() => undefined);
        if (text === undefined) return undefined;
        const exists = await stat(partial).then(
          () => true,
          () => false,
        );
        if (!exists) return undefined;
        try {
          const checkpoint = JSON.parse(text) as DownloadCheckpoint;
          return checkpoint.version === 1 && typeof checkpoint.etag === "string" ? checkpoint : undefined;
        } catch {
          return undefined;
        }
      },
      save: (checkpoint) => checkpoints.set("download", JSON.stringify(checkpoint)),
      clear: () => checkpoints.delete("download").catch(() => rm(state, { force: true })),
    },
  };
}
