import { createHash, randomBytes } from "node:crypto";
import type { Operation, Principal } from "../../core/policy/policy.js";
import type { UploadLedger } from "../uploads/upload-ledger.js";
import type { WebhookCursor } from "../uploads/webhook-cursor.js";

/** What a handle grants: the object, the operations, who minted it, until when. */
export interface HandleGrant {
  readonly bucket: string;
  readonly key: string;
  readonly operations: readonly Operation[];
  /** The principal that minted it: the handle allows what they may do. */
  readonly minter: Principal;
  readonly expiresAt: Date;
}

/** A grant as the store keeps it. */
export interface StoredGrant extends HandleGrant {
  readonly createdAt: Date;
  readonly revokedAt?: Date;
}

/**
 * A lookup store for stored handles (SQLite or PostgreSQL). It is keyed by
 * the SHA-256 of the handle, so the store's contents cannot be replayed as
 * handles; callers hash with `handleDigest`.
 */
export interface HandleStore {
  /** "sqlite" or "postgres", for logs and /readyz. */
  readonly engine: string;
  /** The record of signed uploads, in the same database. */
  readonly uploads: UploadLedger;
  /** Where webhook delivery stands (one instance delivers at a time), in the same database. */
  readonly webhooks: WebhookCursor;
  insert(digest: string, grant: HandleGrant, now: Date): Promise<void>;
  find(digest: string): Promise<StoredGrant | undefined>;
  /** Marks it revoked; false when it already was (or does not exist). */
  revoke(digest: string, now: Date): Promise<boolean>;
  /** Deletes rows that expired before `before`; returns how many. */
  purgeExpired(before: Date): Promise<number>;
  /** A cheap round trip, for readiness. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Stored handles start with this; sealed ones are JWE compact serialisations. */
export const STORED_HANDLE_PREFIX = "psh_";

/** A new stored handle: 256 random bits, base64url. */
export function mintStoredHandle(): string {
  return STORED_HANDLE_PREFIX + randomBytes(32).toString("base64url");
}

/** Well-formed stored handle: the prefix and exactly 43 base64url characters. */
export function isStoredHandle(handle: string): boolean {
  return /^psh_[A-Za-z0-9_-]{43}$/.test(handle);
}

/** The store's key for a handle (hex SHA-256). */
export function handleDigest(handle: string): string {
  return createHash("sha256").update(handle).digest("hex");
}

/** Row shape shared by both engines (times as epoch milliseconds). */
export interface HandleRow {
  bucket: string;
  object_key: string;
  operations: string;
  minter: string;
  created_at: number | string;
  expires_at: number | string;
  revoked_at: number | string | null;
}

export function rowToGrant(row: HandleRow): StoredGrant {
  const minter = JSON.parse(row.minter) as Principal;
  return {
    bucket: row.bucket,
    key: row.object_key,
    operations: JSON.parse(row.operations) as Operation[],
    minter: { subject: minter.subject, groups: minter.groups ?? [], method: minter.method },
    createdAt: new Date(Number(row.created_at)),
    expiresAt: new Date(Number(row.expires_at)),
    ...(row.revoked_at === null ? {} : { revokedAt: new Date(Number(row.revoked_at)) }),
  };
}

export function grantToRow(grant: HandleGrant, now: Date): Omit<HandleRow, "revoked_at"> {
  return {
    bucket: grant.bucket,
    object_key: grant.key,
    operations: JSON.stringify(grant.operations),
    minter: JSON.stringify({
      subject: grant.minter.subject,
      groups: grant.minter.groups,
      method: grant.minter.method,
    }),
    created_at: now.getTime(),
    expires_at: grant.expiresAt.getTime(),
  };
}
