import type { TransferResult } from "@presignd/client/node";
import { Option } from "commander";
import { formatBytes } from "./byte-size.js";

export interface ReportFlags {
  quiet?: boolean;
  json?: boolean;
}

export type TransferOutcome = TransferResult & {
  parts?: number;
  resumedParts?: number;
  confirmed?: { against: string; verified: readonly string[]; unverified: readonly string[] };
};

export const jsonOption = () =>
  new Option("--json", "print the result as one JSON object on stdout: key, bytes, etag, parts, seconds …");

/** Times a transfer, then reports it: one JSON object on stdout (--json), or one line on stderr (unless -q). */
export async function reported(
  verb: "uploaded" | "downloaded",
  key: string,
  flags: ReportFlags,
  transfer: () => Promise<TransferOutcome>,
): Promise<void> {
  const started = performance.now();
  const result = await transfer();
  const seconds = Math.round(performance.now() - started) / 1000;
  if (flags.json) {
    const report = {
      key,
      bytes: result.bytes,
      etag: result.etag ?? null,
      ...(result.versionId ? { versionId: result.versionId } : {}),
      parts: result.parts ?? 1,
      ...(result.resumedParts ? { resumedParts: result.resumedParts } : {}),
      status: result.status,
      seconds,
      ...(result.confirmed
        ? {
            confirmed: {
              against: result.confirmed.against,
              verified: result.confirmed.verified,
              unverified: result.confirmed.unverified,
            },
          }
        : {}),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else if (!flags.quiet) {
    const parts =
      result.parts && result.parts > 1
        ? ` in ${result.parts} parts${result.resumedParts ? ` (${result.resumedParts} resumed)` : ""}`
        : "";
    const rate = seconds > 0 ? ` (${formatBytes(result.bytes / seconds)}/s)` : "";
    process.stderr.write(
      `${verb} ${key}: ${result.bytes} bytes${parts} (HTTP ${result.status}), ETag ${result.etag ?? "?"}, ${seconds.toFixed(1)} s${rate}\n`,
    );
    const c = result.confirmed;
    if (c) {
      const unverified = c.unverified.length > 0 ? `; not reported by the store: ${c.unverified.join(", ")}` : "";
      process.stderr.write(
        `confirmed by presignd (against ${c.against === "signed" ? "what it signed" : "the expectations"}): ${c.verified.join(", ") || "exists"}${unverified}\n`,
      );
    }
  }
}
