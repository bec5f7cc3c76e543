import { TransferAbortedError } from "../errors.js";

/**
 * Runs `work` over the items `next()` hands out, at most `concurrency` at a
 * time. Items are pulled only when a slot is free, so a source that fills a
 * buffer per item (a stream's parts) stays bounded. The first failure stops
 * the pulling, aborts `signal` for the others, and is thrown once all settled.
 */
export async function runPool<T>(
  concurrency: number,
  next: () => Promise<T | undefined> | T | undefined,
  work: (item: T, signal: AbortSignal) => Promise<void>,
  outer?: AbortSignal,
): Promise<void> {
  const failed = new AbortController();
  const signal = outer ? AbortSignal.any([outer, failed.signal]) : failed.signal;
  let firstError: { error: unknown } | undefined;
  const worker = async () => {
    while (!firstError && !signal.aborted) {
      let item: T | undefined;
      try {
        item = await unlessAborted(next(), signal);
      } catch (error) {
        firstError ??= { error };
        failed.abort(error);
        return;
      }
      if (item === undefined) return;
      try {
        await work(item, signal);
      } catch (error) {
        firstError ??= { error };
        failed.abort(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  // The caller's abort is the story, not the socket errors it caused.
  if (outer?.aborted) throw new TransferAbortedError(outer.reason);
  if (firstError) throw firstError.error;
}

/**
 * The next item, or undefined once `signal` aborts: a source still waiting
 * for input (stdin with nothing to read yet) must not hold up the abort.
 * The caller then cancels the source; a late item is dropped.
 */
function unlessAborted<T>(item: Promise<T | undefined> | T | undefined, signal: AbortSignal): Promise<T | undefined> {
  if (!(item instanceof Promise)) return Promise.resolve(item);
  if (signal.aborted) {
    item.catch(() => {});
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener("abort", onAbort, { once: true });
    item.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
