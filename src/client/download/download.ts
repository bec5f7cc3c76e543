import { type ClientContext, rpc, seconds } from "../client-context.js";
import { InvalidOptionError, TransferError } from "../errors.js";
import type { PresignedHttp } from "../http/presigned.js";
import { isExpiredUrl, isRetryable, withRetries } from "../http/retry.js";
import { openGet } from "../http/send.js";
import { DEFAULTS, type DownloadOptions, type DownloadResult, type ObjectTarget } from "../options.js";
import { checkDownloadOptions, targetFields } from "../options-check.js";
import { ProgressMeter } from "../upload/progress-meter.js";
import type { SequentialDestination } from "./destination.js";
import { downloadRanges } from "./ranged.js";
import { WriteBehind } from "./write-behind.js";

/** @private */
export interface DownloadRun {
  readonly presign: () => Promise<PresignedHttp>;
  readonly settings: {
    readonly signal?: AbortSignal | undefined;
    readonly retries: number;
    readonly idleTimeout: number;
  };
  readonly meter: ProgressMeter;
}

/**
 * Presigns a GET and downloads the object into the destination: in parallel
 * ranges where it takes writes at any position (a Blob, a file), in order
 * otherwise (a stream). Resolves to the Blob when the destination is none.
 * @private
 */
export async function download(
  context: ClientContext,
  target: ObjectTarget,
  destination: unknown,
  options: DownloadOptions & { keepPartial?: boolean } = {},
): Promise<{ result: DownloadResult; blob?: Blob }> {
  checkDownloadOptions(options);
  const fields = targetFields(target);
  const params = options.params ?? {};
  const sink = await context.platform.openDestination(destination);
  if (options.keepPartial && !(sink.kind === "random" && sink.checkpoints)) {
    throw new InvalidOptionError("keepPartial", "applies to a file destination (a path), which can be resumed");
  }
  const run: DownloadRun = {
    presign: () =>
      rpc(options.signal, (call) =>
        context.service.getObject(
          {
            ...fields,
            ...(params.bucket ? { bucket: params.bucket } : {}),
            ...(params.versionId ? { versionId: params.versionId } : {}),
            ...(params.range ? { range: params.range } : {}),
            ...(params.overrides ? { overrides: { ...params.overrides } } : {}),
            ...(params.expiresIn !== undefined ? { expiresIn: seconds(params.expiresIn) } : {}),
          },
          call,
        ),
      ),
    settings: {
      signal: options.signal,
      retries: options.retries ?? DEFAULTS.retries,
      idleTimeout: options.idleTimeout ?? DEFAULTS.idleTimeout,
    },
    meter: new ProgressMeter(options.onProgress, undefined),
  };
  // A signed Range is one request's business.
  if (sink.kind === "random" && !params.range) {
    return downloadRanges(run, sink, {
      concurrency: options.concurrency ?? DEFAULTS.downloadConcurrency,
      chunkSize: options.chunkSize ?? DEFAULTS.chunkSize,
      keep: options.keepPartial ?? false,
    });
  }
  if (sink.kind === "random") {
    // A Blob or file for one signed range: written in order from position 0.
    await sink.begin(0, false);
    let position = 0;
    const result = await downloadInOrder(
      run,
      {
        kind: "sequential",
        write: async (chunks) => {
          const at = position;
          for (const chunk of chunks) position += chunk.byteLength;
          await sink.write(at, chunks);
        },
        finish: async () => {},
        fail: () => sink.fail(false),
      },
      params.range !== undefined,
    );
    // The range's size is known once it arrived: the destination checks it.
    await sink.begin(position, true);
    const blob = await sink.finish();
    return { result, ...(blob ? { blob } : {}) };
  }
  return { result: await downloadInOrder(run, sink, params.range !== undefined) };
}

/**
 * One GET into a stream. After a broken connection it resumes with a Range
 * (and If-Match, so a changed object fails instead of mixing versions), and
 * checks the length against S3's.
 */
async function downloadInOrder(
  run: DownloadRun,
  sink: SequentialDestination,
  signedRange: boolean,
): Promise<DownloadResult> {
  const { settings, meter } = run;
  let presigned = await run.presign();
  let written = 0;
  let total: number | undefined;
  let etag: string | undefined;
  let status = 0;
  let versionId: string | undefined;
  let expired = false;
  try {
    await withRetries(
      settings.retries,
      settings.signal,
      async () => {
        if (expired) presigned = await run.presign();
        expired = false;
        const resume = written > 0;
        if (resume && signedRange)
          throw new TransferError("the connection broke during a ranged download; retry it", false);
        const headers: Record<string, string> = resume
          ? { range: `bytes=${written}-`, ...(etag ? { "if-match": etag } : {}) }
          : {};
        let answer: Awaited<ReturnType<typeof openGet>>;
        try {
          answer = await openGet(presigned, { signal: settings.signal, idleTimeout: settings.idleTimeout, headers });
        } catch (error) {
          expired = isExpiredUrl(error, presigned.expiresAt);
          if (resume && (error as { status?: number }).status === 412) {
            throw new TransferError(
              "the object changed during the download (its ETag differs); download it again",
              false,
            );
          }
          throw error;
        }
        if (resume && answer.status !== 206) {
          await answer.discard();
          throw new TransferError("S3 ignored the resume range; download again", false);
        }
        if (!resume) {
          status = answer.status;
          const length = Number(answer.headers.get("content-length") ?? Number.NaN);
          if (Number.isFinite(length)) {
            total = length;
            meter.setTotal(length);
          }
          etag = answer.headers.get("etag") ?? undefined;
          versionId = answer.headers.get("x-amz-version-id") ?? undefined;
        }
        const writer = new WriteBehind(async (chunks, bytes) => {
          await sink.write(chunks);
          written += bytes;
          meter.add(bytes);
        });
        try {
          await answer.read((chunk) => writer.add(chunk));
        } finally {
          await writer.flush();
        }
        if (total !== undefined && written !== total) {
          throw new TransferError(`the download ended after ${written} of ${total} bytes`, true);
        }
      },
      (error) => isRetryable(error) || expired,
    );
    await sink.finish();
  } catch (error) {
    await sink.fail(error);
    throw error;
  }
  return { status, bytes: written, parts: 1, ...(etag ? { etag } : {}), ...(versionId ? { versionId } : {}) };
}
