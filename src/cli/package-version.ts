import { readFileSync } from "node:fs";

/**
 * presignd's own version, from its package.json (two levels up from both
 * src/cli and dist/cli) — not npm_package_version, which npm sets to the
 * version of whatever package runs the script (the consuming app under npx).
 */
export function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version?: unknown;
  };
  return typeof manifest.version === "string" ? manifest.version : "unknown";
}
