import { CACHE_WINDOW_FIELD, cacheWindowStart } from "./cache-window.js";
import { formatDuration } from "./duration.js";
import { invalidField, PresignError } from "./presign-error.js";

/** SigV4 presigned requests live at most 7 days. */
export const MAX_SIGV4_TTL_SECONDS = 7 * 24 * 3600;

export interface TtlPolicy {
  /** TTL used when the caller asks for none, in seconds. */
  readonly defaultSeconds: number;
  /** Largest TTL the server hands out, in seconds (≤ 7 days). */
  readonly maxSeconds: number;
  /** A URL must expire this long before the credentials that signed it. */
  readonly credentialSkewSeconds: number;
}

export const DEFAULT_TTL_POLICY: TtlPolicy = {
  defaultSeconds: 15 * 60,
  maxSeconds: MAX_SIGV4_TTL_SECONDS,
  credentialSkewSeconds: 5 * 60,
};

export interface Expiry {
  /** The signed date (X-Amz-Date): the current second, or the start of the cache window. */
  readonly signedAt: Date;
  /** Whole seconds from signedAt, as signed into X-Amz-Expires. */
  readonly expiresInSeconds: number;
  readonly expiresAt: Date;
}

/** A requested lifetime, as a protobuf Duration carries it. */
export interface RequestedTtl {
  readonly seconds: bigint;
  readonly nanos: number;
}

// google.protobuf.Duration's documented range.
const MAX_DURATION_SECONDS = 315_576_000_000n;

/**
 * The lifetime of one presigned request:
 * min(requested or default, max TTL, 7 days, credential expiry − skew).
 * A caller asking for more than the cap gets the cap (expires_at says so);
 * a malformed or sub-second request is refused.
 *
 * With a cache window (seconds, see cache-window.ts) the request is signed
 * as of the window's start and the lifetime counts from there, so it is
 * handed out with at least lifetime − window + 1 s left (the signed second
 * included); a window longer than the lifetime is refused. The credentials'
 * cap counts from the window's start too: the URL still ends `skew` before
 * they do, and the same request in one window stays byte-identical.
 */
export function resolveExpiry(
  requested: RequestedTtl | undefined,
  policy: TtlPolicy,
  now: Date,
  credentialExpiration?: Date,
  field = "expires_in",
  cacheWindowSeconds?: number,
): Expiry {
  let seconds = policy.defaultSeconds;
  if (requested !== undefined && (requested.seconds !== 0n || requested.nanos !== 0)) {
    const { seconds: s, nanos } = requested;
    if (s > MAX_DURATION_SECONDS || s < -MAX_DURATION_SECONDS || nanos > 999_999_999 || nanos < -999_999_999) {
      throw invalidField(field, "is not a valid google.protobuf.Duration");
    }
    if ((s > 0n && nanos < 0) || (s < 0n && nanos > 0)) {
      throw invalidField(field, "is not a valid google.protobuf.Duration (seconds and nanos differ in sign)");
    }
    if (s < 0n || nanos < 0) {
      throw invalidField(field, "must not be negative");
    }
    if (s < 1n) {
      throw invalidField(field, "must be at least 1s (or unset for the server default)");
    }
    // Sub-second parts are dropped: X-Amz-Expires counts whole seconds.
    seconds = s > BigInt(MAX_SIGV4_TTL_SECONDS) ? MAX_SIGV4_TTL_SECONDS : Number(s);
  }
  seconds = Math.min(seconds, policy.maxSeconds, MAX_SIGV4_TTL_SECONDS);
  if (cacheWindowSeconds !== undefined && cacheWindowSeconds > seconds) {
    throw invalidField(
      CACHE_WINDOW_FIELD,
      `${formatDuration(cacheWindowSeconds)} is longer than the URL's lifetime of ${formatDuration(seconds)}: a URL dated back to the window's start could be expired when handed out; ask for a longer expires_in or a shorter cache_window`,
    );
  }
  // Signed dates have whole-second precision; expires_at must match the URL.
  const signedAt =
    cacheWindowSeconds === undefined
      ? new Date(Math.floor(now.getTime() / 1000) * 1000)
      : cacheWindowStart(now, cacheWindowSeconds);
  if (credentialExpiration !== undefined) {
    const usable = Math.floor((credentialExpiration.getTime() - now.getTime()) / 1000 - policy.credentialSkewSeconds);
    if (usable < 1) {
      throw new PresignError(
        "unavailable",
        "the server's S3 credentials expire too soon to sign anything; retry once they are refreshed",
      );
    }
    // Counted from the signed date: the URL ends `skew` before the credentials either way.
    const fromSigned = Math.floor(
      (credentialExpiration.getTime() - signedAt.getTime()) / 1000 - policy.credentialSkewSeconds,
    );
    seconds = Math.min(seconds, fromSigned);
  }
  return { signedAt, expiresInSeconds: seconds, expiresAt: new Date(signedAt.getTime() + seconds * 1000) };
}

/**
 * Whole seconds from `now` until `until`, the most a URL signed under a
 * handle or an upload token may live; refused once under a second is left.
 */
export function secondsLeft(until: Date, now: Date, field: string): number {
  const left = Math.floor((until.getTime() - now.getTime()) / 1000);
  if (left < 1) throw new PresignError("failed_precondition", `${field}: expired at ${until.toISOString()}`, field);
  return left;
}
