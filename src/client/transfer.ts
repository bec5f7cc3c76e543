import { once } from "node:events";
import { rename, rm } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import { type Readable, Transform, type Writable } from "node:stream";
import { finished, pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { writeBodyInBatches } from "./body-batches.js";
import { parseS3Error, S3Error } from "./s3-error.js";
import { type DownloadDestination, type OpenedSource, openDestination } from "./sources.js";

/** An HTTP request as PresignService hands it out. */
export interface PresignedHttp {
  readonly url: string;
  readonly method: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface Progress {
  /** Bytes moved so far. */
  readonly transferred: number;
  /** Total bytes, when known. */
  readonly total?: number;
}

export interface TransferOptions {
  /** Called as bytes move (often: throttle if you redraw). */
  readonly onProgress?: (progress: Progress) => void;
  readonly signal?: AbortSignal;
  /** Extra attempts after a network error or a 5xx/429 answer (default 3). */
  readonly retries?: number;
}

export interface TransferResult {
  readonly status: number;
  readonly bytes: number;
  readonly etag?: string;
  readonly versionId?: string;
}

/** Is a failure worth another attempt? Network errors and S3's 5xx/429/SlowDown. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof S3Error) return error.status >= 500 || error.status === 429;
  const code = (error as { code?: string }).code;
  return ["ECONNRESET", "ECONNREFUSED", "EPIPE", "ETIMEDOUT", "EAI_AGAIN", "UND_ERR_SOCKET"].includes(code ?? "");
}

/**
 * A 403 for a presigned URL past its expiry (S3: "Request has expired"; or
 * the URL's own expires_at has passed): presigning it again may help.
 */
export function isExpiredUrl(error: unknown, expiresAt: { readonly seconds: bigint } | undefined): boolean {
  if (!(error instanceof S3Error) || error.status !== 403) return false;
  return /expired/i.test(error.message) || (expiresAt !== undefined && Number(expiresAt.seconds) * 1000 <= Date.now());
}

/**
 * Sends a presigned request with exactly its headers (plus `extra`), piping
 * `body` into it with backpressure. Resolves with the response once S3
 * answers — including an early error answer before the body was read.
 */
export function send(
  presigned: PresignedHttp,
  body: Readable | undefined,
  options: { signal?: AbortSignal; extra?: Record<string, string> } = {},
): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const url = new URL(presigned.url);
    const client = url.protocol === "https:" ? https : http;
    const req = client.request(url, {
      method: presigned.method,
      headers: { ...presigned.headers, ...options.extra },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    let answered = false;
    let grace: NodeJS.Timeout | undefined;
    req.once("response", (res) => {
      answered = true;
      clearTimeout(grace);
      resolve(res);
    });
    const fail = (error: unknown) => {
      if (answered || grace) return;
      // Stopped by the caller: say so now (no answer is coming).
      if (options.signal?.aborted) return reject(options.signal.reason ?? error);
      // S3 may answer (say 400 or 403) and close while we still write: give
      // its answer a moment to arrive, since it says more than EPIPE does.
      // Not unref()ed: with nothing else pending, the process would exit 0
      // before the failure is reported.
      grace = setTimeout(() => answered || reject(error), 250);
    };
    req.once("error", fail);
    if (body) pipeline(body, req).catch(fail);
    else req.end();
  });
}

/** Reads an error answer (bounded) and turns it into an S3Error. */
export async function readS3Error(res: http.IncomingMessage, url?: string): Promise<S3Error> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    if (size < 64 * 1024) chunks.push(chunk);
    size += chunk.length;
  }
  return parseS3Error(res.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), res.headers, url, res.statusMessage);
}

/** Uploads a body with a presigned PUT (or any body-carrying request). */
export async function uploadPresigned(
  presigned: PresignedHttp,
  source: OpenedSource,
  options: TransferOptions = {},
): Promise<TransferResult> {
  const declared = Number(presigned.headers["content-length"]);
  const total = Number.isFinite(declared) ? declared : source.size;
  return withRetries(source.replayable ? (options.retries ?? 3) : 0, options.signal, async () => {
    let sent = 0;
    const body = source.open().pipe(
      meter((n) => {
        sent += n;
        options.onProgress?.({ transferred: sent, ...(total === undefined ? {} : { total }) });
      }),
    );
    const res = await send(presigned, body, options.signal ? { signal: options.signal } : {});
    if ((res.statusCode ?? 0) >= 300) throw await readS3Error(res, presigned.url);
    res.resume();
    await finished(res);
    return {
      status: res.statusCode ?? 0,
      bytes: sent,
      ...header(res, "etag", "etag"),
      ...header(res, "x-amz-version-id", "versionId"),
    };
  });
}

/**
 * Downloads with a presigned GET into a file (via a temporary name, renamed
 * when complete) or a stream. After a broken connection it resumes with a
 * Range request where it can, and checks the final size against S3's.
 */
export async function downloadPresigned(
  presigned: PresignedHttp,
  destination: DownloadDestination,
  options: TransferOptions = {},
): Promise<TransferResult> {
  const target = openDestination(destination);
  const tempPath = target.path === undefined ? undefined : `${target.path}.presignd-partial`;
  const out: Writable = tempPath === undefined ? target.open() : openDestination(tempPath).open();
  const signedRange = presigned.headers.range !== undefined;
  let written = 0;
  let total: number | undefined;
  let last: http.IncomingMessage | undefined;
  try {
    await withRetries(options.retries ?? 3, options.signal, async () => {
      const resume = written > 0;
      if (resume && signedRange) throw new Error("connection lost during a ranged download; retry it");
      const extra = resume ? { range: `bytes=${written}-` } : {};
      const res = await send(presigned, undefined, { ...(options.signal ? { signal: options.signal } : {}), extra });
      const status = res.statusCode ?? 0;
      if (status >= 300) throw await readS3Error(res, presigned.url);
      if (resume && status !== 206) throw new Error("S3 ignored the resume range; download again");
      const length = Number(res.headers["content-length"]);
      if (!resume && Number.isFinite(length)) total = length;
      last = res;
      // Progress once per batch (~1 MiB), not per socket chunk.
      await writeBodyInBatches(res, (chunks, bytes) => {
        // One writev for a file or socket; the chunks are not copied (the
        // destination may keep them).
        out.cork();
        let ok = true;
        for (const chunk of chunks) ok = out.write(chunk);
        out.uncork();
        written += bytes;
        options.onProgress?.({ transferred: written, ...(total === undefined ? {} : { total }) });
        return ok ? undefined : once(out, "drain").then(() => {});
      });
      if (total !== undefined && written !== total) {
        throw Object.assign(new Error(`download ended after ${written} of ${total} bytes`), { code: "ECONNRESET" });
      }
    });
    out.end();
    await finished(out);
    if (tempPath !== undefined && target.path !== undefined) await rename(tempPath, target.path);
  } catch (error) {
    // The failure is `error`: a write still in flight that completes after
    // destroy() (ERR_STREAM_DESTROYED) must not become an unhandled 'error'.
    out.on("error", () => {});
    out.destroy();
    if (tempPath !== undefined) await rm(tempPath, { force: true });
    throw error;
  }
  const res = last as http.IncomingMessage | undefined;
  return {
    status: res?.statusCode ?? 0,
    bytes: written,
    ...(res ? header(res, "etag", "etag") : {}),
    ...(res ? header(res, "x-amz-version-id", "versionId") : {}),
  };
}

/** Runs `attempt`, again after retryable failures, with exponential backoff and full jitter. */
export async function withRetries<T>(
  retries: number,
  signal: AbortSignal | undefined,
  attempt: () => Promise<T>,
  retryable: (error: unknown) => boolean = isRetryable,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= retries || signal?.aborted || !retryable(error)) throw error;
      // Exponential backoff with full jitter: 0–250 ms, 0–500 ms, 0–1 s, …
      await sleep(Math.random() * 250 * 2 ** n, undefined, signal ? { signal } : {});
    }
  }
}

function meter(onBytes: (n: number) => void) {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes(chunk.length);
      callback(null, chunk);
    },
  });
}

function header<K extends string>(res: http.IncomingMessage, name: string, as: K): Partial<Record<K, string>> {
  const value = res.headers[name];
  return typeof value === "string" ? ({ [as]: value } as Record<K, string>) : {};
}
