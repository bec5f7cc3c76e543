import { formatDuration } from "./duration.js";
import type { RequestedTtl } from "./expiry.js";
import { invalidField } from "./presign-error.js";

/** The request field (and policy rule setting) of a signing-time window. */
export const CACHE_WINDOW_FIELD = "cache_window";

/** The longest window, in seconds (the proto's bound on the request field, and the policy file's). */
export const MAX_CACHE_WINDOW_SECONDS = 3600;

/**
 * The window a GET or HEAD is signed in, in whole seconds, or undefined for
 * a fresh URL: the request's cache_window, else the allowing rule's. A
 * request asking for a longer window than the rule's is refused: the rule's
 * is the most its URLs may be dated back. The proto bounds the request's to
 * 1 s-1 h; sub-second parts are refused here, since the window's start is
 * the signed (whole-second) date.
 */
export function resolveCacheWindow(
  requested: RequestedTtl | undefined,
  ruleSeconds: number | undefined,
): number | undefined {
  if (requested === undefined) return ruleSeconds;
  if (requested.nanos !== 0) throw invalidField(CACHE_WINDOW_FIELD, "must be whole seconds");
  const seconds = Number(requested.seconds);
  if (ruleSeconds !== undefined && seconds > ruleSeconds) {
    throw invalidField(
      CACHE_WINDOW_FIELD,
      `${formatDuration(seconds)} is longer than the ${formatDuration(ruleSeconds)} the allowing rule permits`,
    );
  }
  return seconds;
}

/**
 * The start of the window `now` falls in: the time in whole seconds, floored
 * to a multiple of the window since the Unix epoch, so that every signer with
 * the same clock (any instance) starts windows at the same seconds.
 */
export function cacheWindowStart(now: Date, windowSeconds: number): Date {
  const second = Math.floor(now.getTime() / 1000);
  return new Date((second - (second % windowSeconds)) * 1000);
}

/** The signRequest option for an input's window, if it has one. */
export function cacheWindowOption(input: { readonly cacheWindowSeconds?: number }): { cacheWindowSeconds?: number } {
  return input.cacheWindowSeconds === undefined ? {} : { cacheWindowSeconds: input.cacheWindowSeconds };
}
