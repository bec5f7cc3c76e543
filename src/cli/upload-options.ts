import type { Progress } from "@presignd/client/node";
import { InvalidArgumentError, Option } from "commander";
import type { ClientFlags } from "./client-options.js";
import { interruptible } from "./interrupt.js";
import { progressBar } from "./progress.js";
import { jsonOption, type ReportFlags, reported, type TransferOutcome } from "./transfer-report.js";

/** Flags of the commands that upload (put, post). */
export interface UploadFlags extends ClientFlags, ReportFlags {
  contentType?: string;
  metadata: Record<string, string>;
}

/** Accumulates repeated "-m name=value" options into a map. */
export function parseMetadata(value: string, previous: Record<string, string>): Record<string, string> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new InvalidArgumentError(`expected name=value, got "${value}"`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export const metadataOption = () =>
  new Option("-m, --metadata <name=value>", "user metadata (repeatable)").argParser(parseMetadata).default({});

export const uploadOptions = (): Option[] => [
  new Option("-t, --content-type <type>", "Content-Type to store"),
  metadataOption(),
  jsonOption(),
];

/** What every upload command passes to the client: the S3 parameters, the signal and progress. */
export interface UploadRequest {
  readonly signal: AbortSignal;
  readonly params: { bucket?: string; contentType?: string; metadata: Record<string, string> };
  readonly onProgress?: (progress: Progress) => void;
}

/**
 * Runs an upload with a progress bar, then reports it (see transfer-report.ts);
 * an interrupted upload says what `kept()` reports (by default: nothing, since
 * S3 stores no part of an unfinished PUT, POST or aborted multipart upload).
 */
export async function runUpload(
  key: string,
  flags: UploadFlags,
  label: string,
  upload: (request: UploadRequest) => Promise<TransferOutcome>,
  kept: () => Promise<string> = async () => "nothing was stored",
): Promise<void> {
  const progress = progressBar(`${label} ${key}`, flags.quiet === true);
  try {
    await reported("uploaded", key, flags, async () => {
      const result = await interruptible(
        (signal) =>
          upload({
            signal,
            params: {
              ...(flags.bucket ? { bucket: flags.bucket } : {}),
              ...(flags.contentType ? { contentType: flags.contentType } : {}),
              metadata: flags.metadata,
            },
            ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
          }),
        kept,
      );
      progress.stop();
      return result;
    });
  } finally {
    progress.clear();
  }
}
