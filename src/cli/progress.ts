import cliProgress from "cli-progress";
import type { Progress } from "../client/transfer.js";
import { formatBytes } from "./byte-size.js";

export interface ProgressReporter {
  readonly onProgress?: (progress: Progress) => void;
  stop(): void;
}

/** A progress bar (bytes, rate, ETA) on stderr when it is a terminal; nothing otherwise. */
export function progressBar(label: string, quiet: boolean): ProgressReporter {
  if (quiet || !process.stderr.isTTY) return { stop() {} };
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
  const startedAt = Date.now();
  return {
    onProgress({ transferred, total }) {
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
      started?.stop();
    },
  };
}
