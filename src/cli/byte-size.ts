import { InvalidArgumentError } from "commander";
import { BYTE_SIZE_SYNTAX, parseByteSize as parseBytes } from "../core/byte-size.js";

/** A byte count for a flag: 1048576, 64MiB, 8M, 1.5GiB (binary units). */
export function parseByteSize(value: string): number {
  const bytes = parseBytes(value);
  if (bytes === undefined) throw new InvalidArgumentError(`expected ${BYTE_SIZE_SYNTAX} (positive), got "${value}"`);
  return bytes;
}

export function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new InvalidArgumentError(`expected 1 to 64, got "${value}"`);
  return n;
}

/** A byte count for people: 1536 → "1.5 KiB"; undefined → "?". */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return "?";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
