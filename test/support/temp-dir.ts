import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made = new Set<string>();

/**
 * A fresh temporary directory, removed when the test process exits (each
 * test file runs in a process of its own), so helpers whose files outlive
 * one test (policies, certificates) leave nothing behind.
 */
export function tempDir(prefix: string): string {
  if (made.size === 0) {
    process.once("exit", () => {
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    });
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  return dir;
}
