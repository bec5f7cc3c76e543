import type { Payload } from "../body/payload.js";
import { S3Error, TransferAbortedError, TransferError, TransferTimeoutError } from "../errors.js";
import { IdleTimer } from "./idle-timer.js";
import type { PresignedHttp } from "./presigned.js";
import { s3ErrorOf } from "./s3-error-answer.js";
import { sendWithXhr, xhrAvailable } from "./xhr-send.js";

/** Settings of one request. */
export interface RequestSettings {
  readonly signal?: AbortSignal | undefined;
  /** Milliseconds without bytes moving before the request is abandoned; 0: never. */
  readonly idleTimeout: number;
  /** Headers beyond the presigned ones (Range, If-Match, a form's Content-Type). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Upload bytes as they leave. */
  readonly onSent?: (bytes: number) => void;
}

/** S3's answer with its (small) body read. */
export interface TextAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  readonly text: string;
}

/** Bodies an upload sends. */
export type RequestBody = Payload | FormData | string;

/** Upload answers larger than this are not S3's: read no further. */
const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * Sends a presigned request with exactly its headers (plus `settings.headers`)
 * and reads S3's answer. Failures become TransferError (network),
 * TransferTimeoutError (idle) or TransferAbortedError (the caller's signal);
 * a refusal is returned, not thrown: callers decide what a status means.
 */
export async function exchange(
  presigned: PresignedHttp,
  body: RequestBody | undefined,
  settings: RequestSettings,
): Promise<TextAnswer> {
  // Browsers: XHR reports upload progress and sends a Blob from disk;
  // fetch cannot stream a request body over HTTP/1.1 there.
  if (body !== undefined && typeof body !== "string" && xhrAvailable()) {
    return sendWithXhr(presigned, "size" in body ? body.blob() : body, settings);
  }
  // fetch may still pull the body after the request failed: those bytes never
  // count, or a retry's progress would run past the total.
  let settled = false;
  const onSent = settings.onSent && ((n: number) => settled || settings.onSent?.(n));
  try {
    return await withIdleAbort(settings, async (signal, idle) => {
      const response = await fetch(presigned.url, {
        method: presigned.method,
        headers: { ...presigned.headers, ...settings.headers },
        ...(body === undefined ? {} : { body: fetchBody(body, idle, onSent), duplex: "half" }),
        // A request whose redirects fetch may follow is cloned first, teeing its
        // body: the unread branch would hold every byte sent (a 1 GiB PUT, 1 GiB
        // of memory). A presigned request is never redirected (a streamed body
        // cannot be sent twice anyway), so fetch sends it as is.
        window: null,
        redirect: "error",
        signal,
      } as RequestInit);
      idle.touch();
      const text = await readText(response, idle);
      return { status: response.status, statusText: response.statusText, headers: response.headers, text };
    });
  } finally {
    settled = true;
  }
}

/** An answer whose body the caller reads. */
export interface StreamAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly headers: Headers;
  /** Reads the body, chunk by chunk; each chunk counts as activity. */
  read(onChunk: (chunk: Uint8Array) => void | Promise<void>): Promise<void>;
  /** Drops the body unread. */
  discard(): Promise<void>;
}

/**
 * GETs a presigned URL and hands over the body to read as a stream; a
 * status ≥ 300 is thrown as S3Error (with the error document read).
 */
export async function openGet(presigned: PresignedHttp, settings: RequestSettings): Promise<StreamAnswer> {
  const controller = new AbortController();
  const stopByCaller = () => controller.abort(new TransferAbortedError(settings.signal?.reason));
  if (settings.signal?.aborted) throw new TransferAbortedError(settings.signal.reason);
  settings.signal?.addEventListener("abort", stopByCaller, { once: true });
  const idle = new IdleTimer(settings.idleTimeout, () =>
    controller.abort(new TransferTimeoutError(settings.idleTimeout)),
  );
  const release = () => {
    idle.stop();
    settings.signal?.removeEventListener("abort", stopByCaller);
  };
  let response: Response;
  try {
    response = await fetch(presigned.url, {
      method: presigned.method,
      headers: { ...presigned.headers, ...settings.headers },
      signal: controller.signal,
    });
    idle.touch();
    if (response.status >= 300) {
      const text = await readText(response, idle);
      throw s3ErrorOf(response.status, response.statusText, text, response.headers, presigned.url);
    }
  } catch (error) {
    release();
    throw failure(error, controller.signal);
  }
  const body = response.body;
  return {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
    async read(onChunk) {
      if (!body) return release();
      const reader = body.getReader();
      // fetch's body stream does not always end when the request is aborted
      // (undici: a body fully received but not yet read to its end stays
      // pending), so a read also ends with the abort.
      const aborted = new Promise<never>((_, reject) => {
        const stop = () => reject(controller.signal.reason);
        if (controller.signal.aborted) stop();
        else controller.signal.addEventListener("abort", stop, { once: true });
      });
      aborted.catch(() => {});
      try {
        for (;;) {
          const { done, value } = await Promise.race([reader.read(), aborted]);
          if (done) break;
          idle.touch();
          await onChunk(value);
        }
      } catch (error) {
        // Not awaited: cancelling such a stream may never settle either.
        reader.cancel().catch(() => {});
        throw failure(error, controller.signal);
      } finally {
        release();
      }
    },
    async discard() {
      release();
      await body?.cancel().catch(() => {});
    },
  };
}

/** Throws a refusal as S3Error. */
export function expectSuccess(answer: TextAnswer, presigned: PresignedHttp): TextAnswer {
  if (answer.status >= 300) {
    throw s3ErrorOf(answer.status, answer.statusText, answer.text, answer.headers, presigned.url);
  }
  return answer;
}

async function withIdleAbort<T>(
  settings: RequestSettings,
  run: (signal: AbortSignal, idle: IdleTimer) => Promise<T>,
): Promise<T> {
  if (settings.signal?.aborted) throw new TransferAbortedError(settings.signal.reason);
  const controller = new AbortController();
  const stopByCaller = () => controller.abort(new TransferAbortedError(settings.signal?.reason));
  settings.signal?.addEventListener("abort", stopByCaller, { once: true });
  const idle = new IdleTimer(settings.idleTimeout, () =>
    controller.abort(new TransferTimeoutError(settings.idleTimeout)),
  );
  try {
    return await run(controller.signal, idle);
  } catch (error) {
    throw failure(error, controller.signal);
  } finally {
    idle.stop();
    settings.signal?.removeEventListener("abort", stopByCaller);
  }
}

/** What a failed request becomes: the abort's reason, or a retryable network error. */
export function failure(error: unknown, signal: AbortSignal): unknown {
  if (error instanceof S3Error || error instanceof TransferError) return error;
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    if (reason instanceof TransferTimeoutError || reason instanceof TransferAbortedError) return reason;
    return new TransferAbortedError(reason);
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
  return new TransferError(`network error: ${detail}`, true, { cause: error });
}

function fetchBody(body: RequestBody, idle: IdleTimer, onSent?: (bytes: number) => void): BodyInit {
  if (typeof body === "string" || body instanceof FormData) return body;
  const source = body.stream();
  const iterator =
    Symbol.asyncIterator in source
      ? (source as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]()
      : readerIterator(source as ReadableStream<Uint8Array>);
  // Pulled by fetch as the socket drains: when S3 stops reading, pulls
  // stop, and the idle timer notices.
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await iterator.next();
      if (done) return controller.close();
      idle.touch();
      onSent?.(value.byteLength);
      controller.enqueue(value);
    },
    async cancel(reason) {
      await iterator.return?.(reason);
    },
  });
}

function readerIterator(stream: ReadableStream<Uint8Array>): AsyncIterator<Uint8Array> {
  const reader = stream.getReader();
  return {
    next: () => reader.read() as Promise<IteratorResult<Uint8Array>>,
    return: async (reason?: unknown) => {
      await reader.cancel(reason);
      return { done: true, value: undefined };
    },
  };
}

async function readText(response: Response, idle: IdleTimer): Promise<string> {
  if (!response.body) return "";
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    idle.touch();
    if (size < MAX_ANSWER_BYTES) chunks.push(value);
    size += value.byteLength;
  }
  const decoder = new TextDecoder();
  return chunks.map((c) => decoder.decode(c, { stream: true })).join("") + decoder.decode();
}
