/**
 * The duration grammar of every setting: "90s", "15m", "1h30m", "7d", "500ms"
 * (units in that order, each at most once), or a whole number of seconds.
 * TTLs (--default-ttl, --max-ttl, policy max_ttl, jwt.clock_skew, the CLI's
 * --ttl) take whole seconds; timeouts (--header-timeout …) milliseconds.
 */

/** A value outside the grammar, or shorter than a second; the message quotes the value. */
export class DurationError extends Error {
  override readonly name = "DurationError";
}

const GRAMMAR = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNITS = [
  ["d", 86_400],
  ["h", 3_600],
  ["m", 60],
  ["s", 1],
] as const;
const UNITS_MS = [...UNITS.map(([name, seconds]) => [name, seconds * 1000] as const), ["ms", 1] as const];

function parseMs(value: string, examples: string): number {
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) {
    ms = Number(text) * 1000;
  } else {
    const parts = text === "" ? null : GRAMMAR.exec(text);
    if (!parts) throw new DurationError(`"${value}" is not a duration like ${examples}`);
    ms = UNITS_MS.reduce((sum, [, unit], i) => sum + Number(parts[i + 1] ?? 0) * unit, 0);
  }
  if (!Number.isSafeInteger(ms)) throw new DurationError(`"${value}" is too long`);
  return ms;
}

/** "15m", "1h30m", "900s", "7d" or "900" → whole seconds (at least 1). */
export function parseDurationSeconds(value: string): number {
  const ms = parseMs(value, "15m, 1h, 90s or 7d");
  if (ms < 1000) throw new DurationError(`"${value}" must be at least 1s`);
  if (ms % 1000 !== 0) throw new DurationError(`"${value}" must be whole seconds`);
  return ms / 1000;
}

/** "500ms", "10s", "1m30s" or "10" (seconds) → milliseconds (at least 1). */
export function parseDurationMs(value: string): number {
  const ms = parseDelayMs(value);
  if (ms < 1) throw new DurationError(`"${value}" must be longer than 0`);
  return ms;
}

/** As parseDurationMs, but "0" and "0s" are allowed: a delay that may be none at all. */
export function parseDelayMs(value: string): number {
  return parseMs(value, "500ms, 10s or 1m");
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
