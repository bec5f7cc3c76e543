import { access } from "node:fs/promises";
import { constants } from "node:os";
import { reportFailure } from "./failure-line.js";

/**
 * A transfer stopped by SIGINT (Ctrl-C) or SIGTERM. The CLI exits with the
 * shell's code for that signal (128 + its number: 130, 143) and one line
 * saying what was kept.
 */
export class Interrupted extends Error {
  override readonly name = "Interrupted";
  readonly exitCode: number;

  constructor(
    readonly signal: NodeJS.Signals,
    /** What was kept, e.g. "kept big.iso.presignd-upload.json: run the same command again to resume". */
    kept: string,
  ) {
    super(`interrupted by ${signal}; ${kept}`);
    this.exitCode = exitCodeFor(signal);
  }
}

function exitCodeFor(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

/**
 * Runs a transfer that SIGINT or SIGTERM stop cleanly through its
 * AbortSignal (a multipart upload is aborted at S3 or kept for --resume, a
 * kept partial download stays resumable); it then fails with Interrupted,
 * saying what `kept()` reports. A second signal exits at once.
 */
export async function interruptible<T>(
  transfer: (signal: AbortSignal) => Promise<T>,
  kept: () => Promise<string>,
): Promise<T> {
  const controller = new AbortController();
  let by: NodeJS.Signals | undefined;
  const onSignal = (name: NodeJS.Signals) => {
    if (by) {
      reportFailure(`interrupted by ${by}, then ${name}: quit at once, without cleaning up`);
      // The progress bar hid the cursor and has no chance to show it again.
      if (process.stderr.isTTY) process.stderr.write("\x1b[?25h");
      process.exit(exitCodeFor(by));
    }
    by = name;
    controller.abort(Object.assign(new Error(`interrupted by ${name}`), { name: "AbortError" }));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await transfer(controller.signal);
  } catch (error) {
    if (by) throw new Interrupted(by, await kept());
    throw error;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** "kept FILE: run the same command again to resume" if `file` exists (the resume state), else `otherwise`. */
export async function keptForResume(file: string, shown: string, otherwise: string): Promise<string> {
  const exists = await access(file).then(
    () => true,
    () => false,
  );
  return exists ? `kept ${shown}: run the same command again to resume` : otherwise;
}
