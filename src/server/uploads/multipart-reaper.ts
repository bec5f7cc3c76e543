import type { Logger } from "pino";
import { mayHaveWritten } from "../../core/upload-expectation.js";
import type { S3Backend } from "../s3/s3-backend.js";
import { sdkErrorLabel } from "../s3/sdk-error-label.js";
import type { UploadEventObserver } from "./upload-events.js";
import type { UploadLedger } from "./upload-ledger.js";

/** Uploads handled per run; the rest wait for the next one. */
const BATCH = 100;

/** A claim older than this was left by an instance that died reaping: take it over. */
const STALE_CLAIM_MS = 10 * 60_000;

export interface ReaperDeps {
  readonly ledger: UploadLedger;
  readonly abort: S3Backend["abortMultipartUpload"];
  readonly head: S3Backend["headObject"];
  readonly logger: Logger;
  readonly events?: UploadEventObserver | undefined;
}

/** What one run did. */
export interface ReapResult {
  /** Aborted by the reaper: their token had expired and S3 still held their parts. */
  reaped: number;
  /** Already completed at S3 (an object written after the upload began). */
  completed: number;
  /** Already gone at S3 without an object (aborted by their owner). */
  aborted: number;
  /** S3 or the store failed; retried next run. */
  failed: number;
}

/**
 * One pass of the multipart reaper: every multipart upload presignd started
 * whose token has expired is claimed (one instance per upload, through the
 * shared store) and aborted at S3, so that no upload's parts are kept, and
 * billed, forever. Uploads still within their token are never touched.
 */
export async function reapExpiredUploads(deps: ReaperDeps, now = new Date()): Promise<ReapResult> {
  const result: ReapResult = { reaped: 0, completed: 0, aborted: 0, failed: 0 };
  const expired = await deps.ledger.expiredMultipart(now, new Date(now.getTime() - STALE_CLAIM_MS), BATCH);
  for (const upload of expired) {
    if (upload.uploadId === undefined) continue;
    if (!(await deps.ledger.settle(upload.id, [upload.state], "reaping", now))) continue; // another instance has it
    try {
      const ref = { bucket: upload.bucket, key: upload.key, uploadId: upload.uploadId };
      if ((await deps.abort(ref)) === "aborted") {
        await deps.ledger.settle(upload.id, ["reaping"], "reaped", new Date());
        deps.events?.uploadEvent("reaped");
        result.reaped++;
        continue;
      }
      // S3 no longer knows the upload: completed, or aborted by its owner.
      const head = await deps.head(upload.bucket, upload.key);
      const completed = head?.lastModified !== undefined && mayHaveWritten(upload.signedAt, head.lastModified);
      const state = completed ? "completed" : "aborted";
      if (await deps.ledger.settle(upload.id, ["reaping"], state, new Date())) deps.events?.uploadEvent(state);
      result[state]++;
    } catch (error) {
      result.failed++;
      deps.logger.warn(
        { bucket: upload.bucket, err: sdkErrorLabel(error).label },
        "the multipart reaper could not settle an expired upload; retrying next run",
      );
      await deps.ledger.settle(upload.id, ["reaping"], "pending", new Date()).catch(() => {});
    }
  }
  return result;
}

/** Runs the reaper every `intervalMs` (first run after one interval); resolves `stop` once a running pass ends. */
export function startMultipartReaper(deps: ReaperDeps, intervalMs: number): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = reapExpiredUploads(deps).then(
      (r) => {
        if (r.reaped + r.completed + r.aborted + r.failed > 0) deps.logger.info({ ...r }, "multipart reaper ran");
      },
      (error: unknown) =>
        deps.logger.warn({ err: (error as Error).message }, "the multipart reaper could not read the handle store"),
    );
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
