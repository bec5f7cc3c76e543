/**
 * The duration grammar of every TTL setting, on the server (--default-ttl,
 * --max-ttl, policy max_ttl, jwt.clock_skew) and in the CLI (--ttl): "90s",
 * "15m", "1h30m", "7d" (units in that order, each at most once), or a whole
 * number of seconds.
 */

/** A value outside the grammar, or shorter than a second; the message quotes the value. */
export class DurationError extends Error {
  override readonly name = "DurationError";
}

const GRAMMAR = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const UNITS = [
  ["d", 86_400],
  ["h", 3_600],
  ["m", 60],
  ["s", 1],
] as const;

/** "15m", "1h30m", "900s", "7d" or "900" → whole seconds (at least 1). */
export function parseDurationSeconds(value: string): number {
  const text = value.trim();
  let seconds: number;
  if (/^\d+$/.test(text)) {
    seconds = Number(text);
  } else {
    const parts = text === "" ? null : GRAMMAR.exec(text);
    if (!parts) throw new DurationError(`"${value}" is not a duration like 15m, 1h, 90s or 7d`);
    seconds = UNITS.reduce((sum, [, unit], i) => sum + Number(parts[i + 1] ?? 0) * unit, 0);
  }
  if (!Number.isSafeInteger(seconds)) throw new DurationError(`"${value}" is too long`);
  if (seconds < 1) throw new DurationError(`"${value}" must be at least 1s`);
  return seconds;
}

/** Whole seconds → the shortest spelling in the same grammar: 5400 → "1h30m", 0 → "0s". */
export function formatDuration(seconds: number): string {
  let rest = Math.max(0, Math.floor(seconds));
  let text = "";
  for (const [name, unit] of UNITS) {
    const n = Math.floor(rest / unit);
    rest -= n * unit;
    if (n > 0) text += `${n}${name}`;
  }
  return text || "0s";
}
