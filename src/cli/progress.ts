import type { Progress } from "@presignd/client/node";
import cliProgress from "cli-progress";
import { formatBytes } from "./byte-size.js";

export interface ProgressReporter {
  readonly onProgress?: (progress: Progress) => void;
  /** Done: the bar stays, at its final state. */
  stop(): void;
  /** Failed: the bar is removed, and the cursor left at the start of its cleared line. No-op after stop(). */
  clear(): void;
}

/** A progress bar (bytes, rate, ETA) on stderr when it is a terminal; nothing otherwise. */
export function progressBar(label: string, quiet: boolean): ProgressReporter {
  if (quiet || !process.stderr.isTTY) return { stop() {}, clear() {} };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {percentage}% | {value_h}/{total_h} | {rate}/s | ETA {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
      fps: 10,
    },
    cliProgress.Presets.shades_classic,
  );
  // A stream of unknown length: bytes and rate, no bar or ETA.
  const counter = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} {value_h} | {rate}/s`, hideCursor: true, fps: 10 },
    cliProgress.Presets.shades_classic,
  );
  let started: cliProgress.SingleBar | undefined;
  let finished = false;
  const startedAt = Date.now();
  return {
    onProgress({ transferred, total }) {
      if (finished) return;
      if (!started) {
        started = total === undefined ? counter : bar;
        started.start(total ?? 0, 0, { value_h: "0 B", total_h: formatBytes(total), rate: "-" });
      }
      const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
      started.update(transferred, {
        value_h: formatBytes(transferred),
        total_h: formatBytes(total),
        rate: formatBytes(transferred / seconds),
      });
    },
    stop() {
      finished = true;
      started?.stop();
      started = undefined;
    },
    clear() {
      finished = true;
      if (!started) return;
      // cli-progress ends a stopped bar with a newline: go back up and clear it.
      started.stop();
      started = undefined;
      process.stderr.moveCursor(0, -1);
      process.stderr.cursorTo(0);
      process.stderr.clearLine(0);
    },
  };
}
