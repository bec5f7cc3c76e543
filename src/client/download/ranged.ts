import { S3Error, TransferError } from "../errors.js";
import { runPool } from "../http/pool.js";
import type { PresignedHttp } from "../http/presigned.js";
import { isExpiredUrl, isRetryable, withRetries } from "../http/retry.js";
import { openGet } from "../http/send.js";
import type { DownloadResult } from "../options.js";
import type { DownloadCheckpoint, RandomAccessDestination } from "./destination.js";
import type { DownloadRun } from "./download.js";
import { WriteBehind } from "./write-behind.js";

interface RangeAnswer {
  readonly size: number;
  readonly etag?: string | undefined;
  readonly versionId?: string | undefined;
  /** S3 sent the whole object (200, or an object within the first range). */
  readonly whole: boolean;
}

/**
 * Downloads in parallel ranged GETs on one presigned URL (Range is not
 * signed, so one URL serves every range; it is presigned again if it
 * expires). Every range after the first carries If-Match with the first
 * answer's ETag, so a change of the object mid-download fails instead of
 * mixing versions. The result appears only when complete and of the size
 * S3 reported.
 * @private
 */
export async function downloadRanges(
  run: DownloadRun,
  sink: RandomAccessDestination,
  options: { readonly concurrency: number; readonly chunkSize: number; readonly keep: boolean },
): Promise<{ result: DownloadResult; blob?: Blob }> {
  const { meter } = run;
  let presigned = await run.presign();
  const refresh = async () => {
    presigned = await run.presign();
  };
  const current = () => presigned;
  let checkpoint = options.keep ? await sink.checkpoints?.load() : undefined;
  let resumable = false;
  const done = new Set<number>();
  try {
    if (checkpoint && !(await stillSame(run, presigned, checkpoint))) {
      checkpoint = undefined;
    }
    let first: RangeAnswer | undefined;
    if (!checkpoint) {
      first = await fetchRange(run, current, refresh, sink, 0, options.chunkSize, undefined);
      if (first.whole) {
        const blob = await sink.finish();
        await sink.checkpoints?.clear();
        return {
          result: {
            status: 200,
            bytes: first.size,
            parts: 1,
            ...(first.etag ? { etag: first.etag } : {}),
            ...(first.versionId ? { versionId: first.versionId } : {}),
          },
          ...(blob ? { blob } : {}),
        };
      }
      if (first.etag === undefined) {
        throw new TransferError(
          "S3 answered a ranged GET without an ETag (in a browser: the bucket's CORS must expose ETag and Content-Range)",
          false,
        );
      }
      checkpoint = { version: 1, etag: first.etag, size: first.size, chunkSize: options.chunkSize, done: [0] };
    } else {
      // One report of what is already there, so the first progress event counts from it.
      const resumed = checkpoint;
      meter.setTotal(resumed.size);
      meter.add(resumed.done.reduce((sum, c) => sum + chunkLength(resumed, c), 0));
    }
    const plan = checkpoint;
    meter.setTotal(plan.size);
    if (!first) await sink.begin(plan.size, true);
    for (const c of plan.done) done.add(c);
    resumable = true;
    const save = () => sink.checkpoints?.save({ ...plan, done: [...done] });
    const chunks = Math.ceil(plan.size / plan.chunkSize);
    const queue: number[] = [];
    for (let c = 0; c < chunks; c++) if (!done.has(c)) queue.push(c);
    let saving = Promise.resolve();
    await runPool<number>(
      Math.min(options.concurrency, Math.max(queue.length, 1)),
      () => queue.shift(),
      async (c, signal) => {
        await fetchRange(
          { ...run, settings: { ...run.settings, signal } },
          current,
          refresh,
          sink,
          c * plan.chunkSize,
          chunkLength(plan, c),
          plan.etag,
        );
        done.add(c);
        if (options.keep) saving = saving.then(save).catch(() => {});
      },
      run.settings.signal,
    );
    await saving;
    const blob = await sink.finish();
    await sink.checkpoints?.clear();
    return { result: { status: 206, bytes: plan.size, etag: plan.etag, parts: chunks }, ...(blob ? { blob } : {}) };
  } catch (error) {
    if (options.keep && resumable && checkpoint) {
      await sink.checkpoints?.save({ ...checkpoint, done: [...done] }).catch(() => {});
    }
    await sink.fail(options.keep && resumable);
    throw error;
  }
}

function chunkLength(plan: DownloadCheckpoint, c: number): number {
  return Math.min(plan.chunkSize, plan.size - c * plan.chunkSize);
}

/** Does the object still have the checkpoint's ETag and size? */
async function stillSame(run: DownloadRun, presigned: PresignedHttp, checkpoint: DownloadCheckpoint): Promise<boolean> {
  try {
    const answer = await openGet(presigned, {
      signal: run.settings.signal,
      idleTimeout: run.settings.idleTimeout,
      headers: { range: "bytes=0-0", "if-match": checkpoint.etag },
    });
    await answer.discard();
    return totalOf(answer.headers, answer.status) === checkpoint.size;
  } catch (error) {
    if (error instanceof S3Error && error.status === 412) return false;
    throw error;
  }
}

/**
 * GETs [start, start+length) into the destination at `start`, resuming
 * inside the range after a broken connection, presigning again after an
 * expiry.
 */
async function fetchRange(
  run: DownloadRun,
  current: () => PresignedHttp,
  refresh: () => Promise<void>,
  sink: RandomAccessDestination,
  start: number,
  length: number,
  etag: string | undefined,
): Promise<RangeAnswer> {
  const { settings, meter } = run;
  let got = 0;
  let expired = false;
  let answer: RangeAnswer | undefined;
  await withRetries(
    settings.retries,
    settings.signal,
    async () => {
      if (expired) await refresh();
      expired = false;
      const presigned = current();
      const from = start + got;
      let response: Awaited<ReturnType<typeof openGet>>;
      try {
        response = await openGet(presigned, {
          signal: settings.signal,
          idleTimeout: settings.idleTimeout,
          headers: { range: `bytes=${from}-${start + length - 1}`, ...(etag ? { "if-match": etag } : {}) },
        });
      } catch (error) {
        if (error instanceof S3Error && error.status === 412) {
          throw new TransferError(
            "the object changed during the download (its ETag differs); download it again",
            false,
          );
        }
        if (error instanceof S3Error && error.status === 416 && start === 0 && etag === undefined) {
          // An empty object has no byte 0: nothing to write.
          await sink.begin(0, false);
          answer = { size: 0, whole: true };
          return;
        }
        expired = isExpiredUrl(error, presigned.expiresAt);
        throw error;
      }
      const tag = response.headers.get("etag") ?? undefined;
      const versionId = response.headers.get("x-amz-version-id") ?? undefined;
      if (response.status === 206 && start === 0 && etag === undefined && totalOf(response.headers, 206) === 0) {
        // The embedded S3 (s3rver) answers an empty object's range with 206,
        // "Content-Range: bytes 0-0/0" and a Content-Length of 1 it never sends.
        await response.discard();
        await sink.begin(0, false);
        answer = { size: 0, whole: true, etag: tag, versionId };
        return;
      }
      const whole = response.status === 200;
      if (whole && from > 0) {
        await response.discard();
        throw new TransferError("S3 ignored the Range header while resuming; download again", false);
      }
      const size = whole ? Number(response.headers.get("content-length")) : totalOf(response.headers, response.status);
      answer = { size, etag: tag, versionId, whole: whole || (start === 0 && size <= length) };
      if (start === 0 && got === 0) {
        meter.setTotal(size);
        await sink.begin(size, false);
      }
      let position = from;
      const writer = new WriteBehind(async (chunks, bytes) => {
        const at = position;
        position += bytes;
        await sink.write(at, chunks);
        got += bytes;
        meter.add(bytes);
      });
      try {
        await response.read((chunk) => writer.add(chunk));
      } finally {
        // What arrived before a broken connection is kept: a retry resumes after it.
        await writer.flush();
      }
      const expected = whole ? size : Math.min(length, size - start);
      if (got !== expected) throw new TransferError(`a range ended after ${got} of ${expected} bytes`, true);
    },
    (error) => isRetryable(error) || expired,
  );
  return answer ?? { size: 0, whole: true };
}

/** The total size from Content-Range: "bytes 0-99/12345". */
function totalOf(headers: Headers, status: number): number {
  const match = /\/(\d+)$/.exec(headers.get("content-range") ?? "");
  if (!match) {
    throw new TransferError(
      `S3 answered a ranged GET (${status}) without Content-Range (in a browser: the bucket's CORS must expose Content-Range)`,
      false,
    );
  }
  return Number(match[1]);
}
