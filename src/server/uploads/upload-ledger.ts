import { randomBytes } from "node:crypto";
import type { Principal } from "../../core/policy/policy.js";
import type { UploadExpectation } from "../../core/upload-expectation.js";

/** How an upload was signed. */
export type UploadKind = "put" | "post" | "multipart";

/**
 * Where a signed upload stands. Single requests stay "pending" until
 * ConfirmUpload sees them ("completed"); multipart uploads end "completed"
 * (confirmed, or found completed by the reaper), "aborted" (gone, no object)
 * or "reaped" (aborted by the reaper after its token expired). "reaping": an
 * instance has claimed it for the reaper.
 */
export type UploadState = "pending" | "completed" | "aborted" | "reaped" | "reaping";

/** One upload presignd signed, with what it signed. */
export interface SignedUpload {
  readonly id: string;
  readonly bucket: string;
  readonly key: string;
  readonly kind: UploadKind;
  /** The caller it was signed for. */
  readonly signer: Principal;
  readonly signedAt: Date;
  /** When its URL, policy or upload token expires. */
  readonly expiresAt: Date;
  readonly expectation: UploadExpectation;
  /** S3's upload id of a multipart upload. */
  readonly uploadId?: string;
  readonly state: UploadState;
  readonly stateAt?: Date;
}

export type NewSignedUpload = Omit<SignedUpload, "id" | "state" | "stateAt">;

/**
 * The record of the uploads presignd signed, in the handle store (SQLite, or
 * PostgreSQL shared by every instance): what ConfirmUpload checks an object
 * against, and what the multipart reaper sweeps.
 */
export interface UploadLedger {
  record(upload: NewSignedUpload): Promise<SignedUpload>;
  /** The latest uploads signed for an object, newest first. */
  forObject(bucket: string, key: string, limit: number): Promise<SignedUpload[]>;
  /** A multipart upload by S3's upload id. */
  byUploadId(bucket: string, uploadId: string): Promise<SignedUpload | undefined>;
  /**
   * Multipart uploads whose token expired before `now`: pending ones, and
   * ones claimed for reaping before `staleClaim` (an instance died reaping).
   */
  expiredMultipart(now: Date, staleClaim: Date, limit: number): Promise<SignedUpload[]>;
  /** Multipart uploads not yet settled (pending or being reaped). */
  openMultipart(limit: number): Promise<SignedUpload[]>;
  /** Moves an upload from one of `from` to `to`; false when another instance moved it first. */
  settle(id: string, from: readonly UploadState[], to: UploadState, at: Date): Promise<boolean>;
  /** Deletes settled records, single uploads and events older than `before`; returns how many. */
  purge(before: Date): Promise<number>;
  /** Pending uploads that may still land, least recently checked first; marks them checked `now`. */
  toPoll(now: Date, limit: number): Promise<SignedUpload[]>;
  /** Appends a landed upload to the events every watcher reads. */
  appendEvent(event: Omit<LandedEvent, "seq">): Promise<LandedEvent>;
  /** Events after `seq` for keys in `bucket` starting with `prefix`, in order. */
  eventsAfter(seq: bigint, bucket: string, prefix: string, limit: number): Promise<LandedEvent[]>;
  /** Every event after `seq`, in order (webhook delivery). */
  allEventsAfter(seq: bigint, limit: number): Promise<LandedEvent[]>;
  /** The newest event's sequence number (0 when none). */
  latestEvent(): Promise<bigint>;
}

/** An upload seen landing, as WatchUploads streams it. */
export interface LandedEvent {
  readonly seq: bigint;
  readonly bucket: string;
  readonly key: string;
  readonly kind: UploadKind;
  readonly landedAt: Date;
  readonly detail: {
    readonly size: string;
    readonly etag: string;
    readonly versionId?: string;
    readonly lastModified?: string;
    readonly contentType: string;
    readonly metadata: Readonly<Record<string, string>>;
    readonly checksumSha256?: string;
    readonly checksumCrc32c?: string;
    readonly verified: readonly string[];
    readonly unverified: readonly string[];
  };
}

/** A new record's id: 128 random bits. */
export function newUploadId(): string {
  return randomBytes(16).toString("base64url");
}

/** Row shape shared by both engines (times as epoch milliseconds). */
export interface UploadRow {
  id: string;
  bucket: string;
  object_key: string;
  kind: string;
  signer: string;
  signed_at: number | string;
  expires_at: number | string;
  expectation: string;
  upload_id: string | null;
  state: string;
  state_at: number | string | null;
}

export const UPLOAD_COLUMNS =
  "id, bucket, object_key, kind, signer, signed_at, expires_at, expectation, upload_id, state, state_at";

export function uploadToRow(upload: SignedUpload): UploadRow {
  const e = upload.expectation;
  return {
    id: upload.id,
    bucket: upload.bucket,
    object_key: upload.key,
    kind: upload.kind,
    signer: JSON.stringify({
      subject: upload.signer.subject,
      groups: upload.signer.groups,
      method: upload.signer.method,
    }),
    signed_at: upload.signedAt.getTime(),
    expires_at: upload.expiresAt.getTime(),
    // Sizes as decimal strings: JSON has no 64-bit integers.
    expectation: JSON.stringify({
      ...e,
      ...(e.minLength === undefined ? {} : { minLength: e.minLength.toString() }),
      ...(e.maxLength === undefined ? {} : { maxLength: e.maxLength.toString() }),
    }),
    upload_id: upload.uploadId ?? null,
    state: upload.state,
    state_at: upload.stateAt?.getTime() ?? null,
  };
}

export function rowToUpload(row: UploadRow): SignedUpload {
  const signer = JSON.parse(row.signer) as Principal;
  const e = JSON.parse(row.expectation) as Record<string, unknown>;
  const expectation = {
    ...e,
    ...(e.minLength === undefined ? {} : { minLength: BigInt(e.minLength as string) }),
    ...(e.maxLength === undefined ? {} : { maxLength: BigInt(e.maxLength as string) }),
  } as UploadExpectation;
  return {
    id: row.id,
    bucket: row.bucket,
    key: row.object_key,
    kind: row.kind as UploadKind,
    signer: { subject: signer.subject, groups: signer.groups ?? [], method: signer.method },
    signedAt: new Date(Number(row.signed_at)),
    expiresAt: new Date(Number(row.expires_at)),
    expectation,
    ...(row.upload_id === null ? {} : { uploadId: row.upload_id }),
    state: row.state as UploadState,
    ...(row.state_at === null ? {} : { stateAt: new Date(Number(row.state_at)) }),
  };
}
