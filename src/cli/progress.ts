import cliProgress from "cli-progress";
import type { Progress } from "../client/transfer.js";

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
        started.start(total ?? 0, 0, { value_h: "0 B", total_h: size(total), rate: "-" });
      }
      const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
      started.update(transferred, {
        value_h: size(transferred),
        total_h: size(total),
        rate: size(transferred / seconds),
      });
    },
    stop() {
      started?.stop();
    },
  };
}

function size(bytes: number | undefined): string {
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
