import type { S3Backend } from "../s3/s3-backend.js";
import type { UploadLedger } from "./upload-ledger.js";

/** The most multipart uploads listed per bucket. */
export const SWEEP_LIMIT = 10_000;

/** A multipart upload S3 holds, and what presignd knows of it. */
export interface HeldUpload {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
  readonly initiated?: Date;
  /** In presignd's handle store: its token's expiry. */
  readonly tokenExpiresAt?: Date;
  /** Whether nobody can still finish it through presignd, and why. */
  readonly stale: boolean;
  readonly why: string;
}

/**
 * The multipart uploads S3 holds in the configured buckets (ListMultipartUploads),
 * each judged against presignd's records. Stale: its token expired (the reaper
 * would abort it), or it is unknown to presignd and older than the longest
 * lifetime a token can have (`maxTtlSeconds`), so that no token for it can
 * still be valid — started before presignd recorded uploads, recorded in a
 * store since lost, or by another tool.
 */
export async function heldUploads(
  backend: Pick<S3Backend, "buckets" | "listMultipartUploads">,
  ledger: UploadLedger | undefined,
  maxTtlSeconds: number,
  now = new Date(),
): Promise<HeldUpload[]> {
  const held: HeldUpload[] = [];
  for (const bucket of backend.buckets.keys()) {
    for (const upload of await backend.listMultipartUploads(bucket, SWEEP_LIMIT)) {
      const record = ledger ? await ledger.byUploadId(bucket, upload.uploadId) : undefined;
      const base = {
        ...upload,
        ...(record ? { tokenExpiresAt: record.expiresAt } : {}),
      };
      if (record) {
        const expired = record.expiresAt.getTime() <= now.getTime();
        held.push({
          ...base,
          stale: expired,
          why: expired
            ? `its upload token expired at ${record.expiresAt.toISOString()}`
            : `its upload token is valid until ${record.expiresAt.toISOString()}`,
        });
        continue;
      }
      const started = upload.initiated?.getTime();
      const old = started !== undefined && started + maxTtlSeconds * 1000 <= now.getTime();
      held.push({
        ...base,
        stale: old,
        why: old
          ? `not recorded by presignd, and older than any upload token can live (--max-ttl)`
          : ledger
            ? "not recorded by presignd (another tool's, or a store since lost), but young enough for a token to be valid"
            : "no --handle-store to look it up in, and young enough for a token to be valid",
      });
    }
  }
  return held;
}
