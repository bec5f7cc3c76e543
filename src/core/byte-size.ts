/** 1 MiB in bytes: the unit of part sizes and limits. */
export const MiB = 1024 * 1024;

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

/** What parseByteSize accepts, for messages. */
export const BYTE_SIZE_SYNTAX = "a size such as 8388608, 8MiB, 64M or 1GiB";

/** A positive byte count: 1048576, 64MiB, 8M, 1.5GiB (binary units); undefined when it is not one. */
export function parseByteSize(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  const unit = UNITS[match?.[2]?.toLowerCase() ?? "?"];
  if (!match || unit === undefined) return undefined;
  const bytes = Math.round(Number(match[1]) * unit);
  return Number.isSafeInteger(bytes) && bytes >= 1 ? bytes : undefined;
}
