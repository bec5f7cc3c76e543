import type { S3Backend } from "../s3/s3-backend.js";
import { landIfVerified } from "./land-upload.js";
import type { UploadFeed } from "./upload-feed.js";

/**
 * What became of a notification: per record landed (an upload presignd signed,
 * HEADed and verified) or ignored (not an object creation, not signed by
 * presignd, not there, not as signed, already landed); per request
 * unauthenticated (wrong or missing secret), invalid (not JSON, not S3's
 * event shape, too large) or failed (the HEAD or the store failed: the sender
 * should retry).
 */
export type NotificationOutcome = "landed" | "ignored" | "unauthenticated" | "invalid" | "failed";

export const NOTIFICATION_OUTCOMES: readonly NotificationOutcome[] = [
  "landed",
  "ignored",
  "unauthenticated",
  "invalid",
  "failed",
];

/** Where the outcomes go (the server's Metrics). */
export interface NotificationObserver {
  notification(outcome: NotificationOutcome): void;
}

/** One record of an S3 event notification, as much of it as presignd reads. */
export interface NotificationRecord {
  readonly eventName: string;
  readonly bucket: string;
  /** The object key as sent: Ceph RGW 16 sends it as is (AWS would URL-encode it). */
  readonly key: string;
  /** The topic's OpaqueData (RGW): the shared secret. */
  readonly opaqueData?: string;
}

/** How many records of a notification presignd reads (RGW sends one per request). */
export const MAX_RECORDS = 100;

/** How many uploads signed for one key are tried against the object, newest first. */
const UPLOADS_PER_KEY = 10;

/** The records of an S3 event notification body (already JSON-parsed), or the problem, naming the field. */
export function parseNotification(body: unknown): NotificationRecord[] | { problem: string } {
  const records = (body as { Records?: unknown } | null)?.Records;
  if (typeof body !== "object" || body === null || !Array.isArray(records))
    return { problem: "Records: expected an array of S3 event records" };
  if (records.length > MAX_RECORDS) return { problem: `Records: at most ${MAX_RECORDS} records per notification` };
  const parsed: NotificationRecord[] = [];
  for (const [i, record] of records.entries()) {
    const r = record as {
      eventName?: unknown;
      opaqueData?: unknown;
      s3?: { bucket?: { name?: unknown }; object?: { key?: unknown } };
    } | null;
    const at = `Records[${i}]`;
    if (typeof r !== "object" || r === null) return { problem: `${at}: expected an object` };
    if (typeof r.eventName !== "string") return { problem: `${at}.eventName: expected a string` };
    const bucket = r.s3?.bucket?.name;
    if (typeof bucket !== "string") return { problem: `${at}.s3.bucket.name: expected a string` };
    const key = r.s3?.object?.key;
    if (typeof key !== "string") return { problem: `${at}.s3.object.key: expected a string` };
    if (r.opaqueData !== undefined && typeof r.opaqueData !== "string")
      return { problem: `${at}.opaqueData: expected a string` };
    parsed.push({
      eventName: r.eventName,
      bucket,
      key,
      ...(typeof r.opaqueData === "string" ? { opaqueData: r.opaqueData } : {}),
    });
  }
  return parsed;
}

/** ObjectCreated:Put, :Post, :Copy, :CompleteMultipartUpload (AWS spells them with "s3:" in configurations only). */
export function isObjectCreated(eventName: string): boolean {
  return /^(s3:)?ObjectCreated:/.test(eventName);
}

/**
 * Settles what a notification names. The record is only a hint: anyone can
 * POST one, so the object is HEADed with presignd's own credentials and must
 * verify against an upload presignd signed for that key, exactly as the
 * poller verifies it (landIfVerified). Throws when the store or S3 fails.
 */
export async function receiveNotification(
  records: readonly NotificationRecord[],
  deps: {
    readonly feed: UploadFeed;
    readonly head: S3Backend["headObject"];
    readonly buckets: ReadonlySet<string>;
  },
): Promise<NotificationOutcome[]> {
  const outcomes: NotificationOutcome[] = [];
  for (const record of records) {
    outcomes.push(await receiveRecord(record, deps));
  }
  return outcomes;
}

async function receiveRecord(
  record: NotificationRecord,
  deps: Parameters<typeof receiveNotification>[1],
): Promise<NotificationOutcome> {
  if (!isObjectCreated(record.eventName) || !deps.buckets.has(record.bucket)) return "ignored";
  const pending = (await deps.feed.ledger.forObject(record.bucket, record.key, UPLOADS_PER_KEY)).filter(
    (upload) => upload.state === "pending",
  );
  if (pending.length === 0) return "ignored";
  const object = await deps.head(record.bucket, record.key);
  // Newest first, as ConfirmUpload chooses: the newest upload signed that the object matches.
  for (const upload of pending) {
    if (await landIfVerified(deps.feed, upload, object)) return "landed";
  }
  return "ignored";
}
