import { InvalidArgumentError } from "commander";

/** Accumulates repeated "-m name=value" options into a map. */
export function parseMetadata(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}
