import type { Timestamp } from "@bufbuild/protobuf/wkt";
import { InvalidArgumentError, Option } from "commander";
import { DurationError, formatDuration, parseDurationSeconds } from "../core/duration.js";

function durationSeconds(value: string): number {
  try {
    return parseDurationSeconds(value);
  } catch (error) {
    if (error instanceof DurationError) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

/** --ttl in the server's duration grammar (90s, 15m, 1h, 7d), as seconds. */
export const ttlOption = () =>
  new Option("--ttl <duration>", "lifetime: 90s, 15m, 1h30m, 7d (default: the server's)").argParser(durationSeconds);

/** --cache-window (GetObjectRequest.cache_window), in the same grammar, as seconds. */
export const cacheWindowOption = () =>
  new Option(
    "--cache-window <duration>",
    "get, head: sign as of the start of a window this long (1s-1h), so that the same request within it gets the same, cacheable URL",
  ).argParser(durationSeconds);

/** The request field for --ttl. */
export function expiresIn(ttl: number | undefined): { expiresIn?: { seconds: bigint } } {
  return ttl === undefined ? {} : { expiresIn: { seconds: BigInt(ttl) } };
}

/** The request field for --cache-window. */
export function cacheWindow(seconds: number | undefined): { cacheWindow?: { seconds: bigint } } {
  return seconds === undefined ? {} : { cacheWindow: { seconds: BigInt(seconds) } };
}

/**
 * A server grants less than asked when its maximum TTL, SigV4's 7 days or its
 * credentials' expiry is shorter: say so, with the lifetime it granted. The
 * grant is measured on the server's clock, from the signing time (X-Amz-Date,
 * in the URL or the POST fields) to expires_at.
 */
export function cappedTtlWarning(
  requested: number | undefined,
  expiresAt: Timestamp | undefined,
  amzDate: string | null | undefined,
): string | undefined {
  const match = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/.exec(amzDate ?? "");
  if (requested === undefined || expiresAt === undefined || !match) return undefined;
  const [, y, mo, d, h, mi, s] = match.map(Number) as number[];
  const signedAt = Date.UTC(y ?? 0, (mo ?? 1) - 1, d, h, mi, s);
  const expires = Number(expiresAt.seconds) * 1000;
  const granted = Math.round((expires - signedAt) / 1000);
  if (granted >= requested) return undefined;
  return `warning: --ttl ${formatDuration(requested)} is longer than the server grants; this request expires in ${formatDuration(granted)}, at ${new Date(expires).toISOString()}`;
}
