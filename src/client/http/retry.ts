import { S3Error, TransferAbortedError, TransferError, TransferTimeoutError } from "../errors.js";

/** Is a failure worth another attempt? Lost connections, idle timeouts, S3's 5xx and 429. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof S3Error) return error.status >= 500 || error.status === 429;
  if (error instanceof TransferError) return error.retryable;
  return error instanceof TransferTimeoutError;
}

/**
 * A 403 for a presigned URL past its expiry (S3: "Request has expired"; or
 * the URL's own expiresAt has passed): presigning it again may help.
 */
export function isExpiredUrl(error: unknown, expiresAt: { readonly seconds: bigint } | undefined): boolean {
  if (!(error instanceof S3Error) || error.status !== 403) return false;
  return (
    /expired/i.test(error.s3Message) || (expiresAt !== undefined && Number(expiresAt.seconds) * 1000 <= Date.now())
  );
}

/**
 * Runs `attempt` again after retryable failures, with exponential backoff
 * and full jitter (0–250 ms, 0–500 ms, 0–1 s, …). The caller's abort ends it.
 */
export async function withRetries<T>(
  retries: number,
  signal: AbortSignal | undefined,
  attempt: (n: number) => Promise<T>,
  retryable: (error: unknown) => boolean = isRetryable,
): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (signal?.aborted)
        throw error instanceof TransferAbortedError ? error : new TransferAbortedError(signal.reason);
      if (n >= retries || !retryable(error)) throw error;
      await sleep(Math.random() * 250 * 2 ** n, signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new TransferAbortedError(signal?.reason));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
