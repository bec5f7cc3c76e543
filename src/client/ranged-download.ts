import type { FileHandle } from "node:fs/promises";
import { open, readFile, rename, rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { writeBodyInBatches } from "./body-batches.js";
import { S3Error } from "./s3-error.js";
import { coalesced, writeStateFile } from "./state-file.js";
import {
  isExpiredUrl,
  isRetryable,
  type PresignedHttp,
  readS3Error,
  send,
  type TransferOptions,
  type TransferResult,
  withRetries,
} from "./transfer.js";

const MiB = 1024 * 1024;

export interface RangedDownloadOptions extends TransferOptions {
  /** Ranges in flight at once (default 4). */
  readonly concurrency?: number;
  /** Bytes per ranged GET (default 16 MiB). */
  readonly chunkSize?: number;
  /**
   * Keep `<file>.presignd-partial` and its state after a failure, and resume
   * from them on the next call for the same file (if the object's ETag is
   * unchanged). Default false: a failure removes them.
   */
  readonly keepPartial?: boolean;
}

interface DownloadState {
  readonly version: 1;
  readonly etag: string;
  readonly size: number;
  readonly chunkSize: number;
  readonly done: number[];
}

type Presigned = PresignedHttp & { readonly expiresAt?: { readonly seconds: bigint } | undefined };

/**
 * Where a download into `path` keeps its bytes until complete, and the state
 * that makes them resumable (which ranges are done, for which ETag).
 */
export function partialFiles(path: string): { readonly partial: string; readonly state: string } {
  const partial = `${path}.presignd-partial`;
  return { partial, state: `${partial}.json` };
}

/**
 * Downloads an object into a file with parallel ranged GETs on one presigned
 * URL (Range is not signed, so one URL serves every range; it is presigned
 * again if it expires). Every range after the first carries If-Match with the
 * first answer's ETag, so a change of the object mid-download fails instead
 * of mixing versions. The file appears under its name only when complete and
 * of the size S3 reported.
 */
export async function downloadRanged(
  presign: () => Promise<Presigned>,
  path: string,
  options: RangedDownloadOptions = {},
): Promise<TransferResult & { parts: number }> {
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 4, 64));
  const { partial, state: statePath } = partialFiles(path);
  let state = options.keepPartial ? await loadState(statePath) : undefined;
  // Whether a failure leaves something to resume: state on disk that matches the partial file.
  let resumable = state !== undefined;
  if (!state) await rm(partial, { force: true });
  const file = await open(partial, state ? "r+" : "w", 0o644);
  let presigned = await presign();
  const fresh = async () => {
    presigned = await presign();
  };
  let transferred = 0;
  let total: number | undefined = state?.size;
  // The first answer tells the object's size: progress has a total from its first bytes on.
  const report = (n: number, size: number) => {
    total ??= size;
    transferred += n;
    options.onProgress?.({ transferred, ...(total === undefined ? {} : { total }) });
  };
  let ok = false;
  const done = new Set<number>();
  let persist: (() => Promise<void>) | undefined;
  try {
    if (state && !(await stillSame(presigned, state, options.signal))) {
      await file.truncate(0);
      state = undefined;
      total = undefined;
      resumable = false;
    }
    if (!state) {
      const first = await fetchRange(
        () => presigned,
        fresh,
        0,
        options.chunkSize ?? 16 * MiB,
        undefined,
        file,
        options,
        report,
      );
      if (first.whole) {
        await file.close();
        await rename(partial, path);
        ok = true;
        return { status: 200, bytes: first.size, ...(first.etag ? { etag: first.etag } : {}), parts: 1 };
      }
      if (first.etag === undefined) throw new Error("S3 answered a ranged GET without an ETag");
      total = first.size;
      state = { version: 1, etag: first.etag, size: first.size, chunkSize: options.chunkSize ?? 16 * MiB, done: [0] };
    } else {
      for (const c of state.done) transferred += chunkLength(state, c);
    }
    const current = state;
    for (const c of current.done) done.add(c);
    persist = () => writeStateFile(statePath, { ...current, done: [...done] });
    resumable = true;
    const save = options.keepPartial ? coalesced(persist) : () => {};
    const chunks = Math.ceil(current.size / current.chunkSize);
    const queue: number[] = [];
    for (let c = 0; c < chunks; c++) if (!done.has(c)) queue.push(c);
    const controller = new AbortController();
    const signal = AbortSignal.any([controller.signal, ...(options.signal ? [options.signal] : [])]);
    const worker = async () => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
        await fetchRange(
          () => presigned,
          fresh,
          c * current.chunkSize,
          chunkLength(current, c),
          current.etag,
          file,
          { ...options, signal },
          report,
        );
        done.add(c);
        save();
      }
    };
    const workers = Array.from({ length: Math.min(concurrency, queue.length) }, worker);
    const results = await Promise.allSettled(workers);
    const failure = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) {
      controller.abort();
      // The caller's abort is the story, not the socket error it caused.
      options.signal?.throwIfAborted();
      throw failure.reason;
    }
    await file.sync();
    const { size } = await file.stat();
    if (size !== current.size) throw new Error(`downloaded ${size} bytes, S3 reported ${current.size}`);
    await file.close();
    await rename(partial, path);
    await rm(statePath, { force: true });
    ok = true;
    return { status: 206, bytes: current.size, etag: current.etag, parts: chunks };
  } finally {
    if (!ok) {
      await file.close().catch(() => {});
      if (options.keepPartial && resumable) {
        await persist?.().catch(() => {});
      } else {
        // Nothing to resume (say the object does not exist): leave no empty partial file behind.
        await rm(partial, { force: true });
        await rm(statePath, { force: true });
      }
    }
  }
}

function chunkLength(state: DownloadState, c: number): number {
  return Math.min(state.chunkSize, state.size - c * state.chunkSize);
}

/** Does the object still have the partial download's ETag and size? */
async function stillSame(presigned: Presigned, state: DownloadState, signal?: AbortSignal): Promise<boolean> {
  const res = await send(presigned, undefined, {
    ...(signal ? { signal } : {}),
    extra: { range: "bytes=0-0", "if-match": state.etag },
  });
  res.resume();
  if (res.statusCode === 412) return false;
  if ((res.statusCode ?? 0) >= 300) throw await readS3Error(res, presigned.url);
  return totalOf(res) === state.size;
}

/**
 * GETs [start, start+length) into the file at `start`, resuming inside the
 * range after a broken connection, presigning again after an expiry.
 */
async function fetchRange(
  current: () => Presigned,
  refresh: () => Promise<void>,
  start: number,
  length: number,
  etag: string | undefined,
  file: FileHandle,
  options: TransferOptions,
  report: (n: number, size: number) => void,
): Promise<{ size: number; etag?: string; whole: boolean }> {
  let got = 0;
  let expired = false;
  let answer: { size: number; etag?: string; whole: boolean } | undefined;
  await withRetries(
    options.retries ?? 3,
    options.signal,
    async () => {
      if (expired) await refresh();
      expired = false;
      const presigned = current();
      const from = start + got;
      const res = await send(presigned, undefined, {
        ...(options.signal ? { signal: options.signal } : {}),
        extra: { range: `bytes=${from}-${start + length - 1}`, ...(etag ? { "if-match": etag } : {}) },
      });
      const status = res.statusCode ?? 0;
      if (status === 412) throw new Error("the object changed during the download (ETag differs); download it again");
      if (status === 416 && start === 0 && etag === undefined) {
        // An empty object has no byte 0: nothing to write.
        res.resume();
        answer = { size: 0, whole: true };
        return;
      }
      if (status === 206 && start === 0 && etag === undefined && totalOf(res) === 0) {
        // The embedded S3 (s3rver) answers an empty object's range with 206,
        // "Content-Range: bytes 0-0/0" and a Content-Length of 1 it never sends.
        res.destroy();
        answer = { size: 0, whole: true, ...(typeof res.headers.etag === "string" ? { etag: res.headers.etag } : {}) };
        return;
      }
      if (status >= 300) {
        const error = await readS3Error(res, presigned.url);
        expired = isExpiredUrl(error, presigned.expiresAt);
        throw error;
      }
      const whole = status === 200;
      if (whole && from > 0) throw new Error("S3 ignored the Range header while resuming; download again");
      const size = whole ? Number(res.headers["content-length"]) : totalOf(res);
      const tag = typeof res.headers.etag === "string" ? res.headers.etag : undefined;
      answer = { size, ...(tag ? { etag: tag } : {}), whole };
      // ~1 MiB per positioned writev (no copy); one batch may be written
      // while the next arrives. What arrived before a broken connection is
      // written too: a retry resumes after it.
      let position = from;
      await writeBodyInBatches(res, async (chunks, bytes) => {
        const at = position;
        position += bytes;
        await file.writev(chunks, at);
        got += bytes;
        report(bytes, size);
      });
      const expected = whole ? size : Math.min(length, size - start);
      if (got !== expected) {
        throw Object.assign(new Error(`range ended after ${got} of ${expected} bytes`), { code: "ECONNRESET" });
      }
    },
    (error) => isRetryable(error) || expired,
  );
  return answer ?? { size: 0, whole: true };
}

/** The total size from Content-Range: "bytes 0-99/12345". */
function totalOf(res: IncomingMessage): number {
  const match = /\/(\d+)$/.exec(String(res.headers["content-range"] ?? ""));
  if (!match) throw new S3Error(res.statusCode ?? 0, "NoContentRange", "a ranged answer without Content-Range");
  return Number(match[1]);
}

async function loadState(path: string): Promise<DownloadState | undefined> {
  try {
    const state = JSON.parse(await readFile(path, "utf8")) as DownloadState;
    return state.version === 1 && typeof state.etag === "string" ? state : undefined;
  } catch {
    return undefined;
  }
}
