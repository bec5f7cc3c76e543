import {
  type LandedEvent,
  type NewSignedUpload,
  newUploadId,
  rowToUpload,
  type SignedUpload,
  UPLOAD_COLUMNS,
  type UploadLedger,
  type UploadRow,
  type UploadState,
  uploadToRow,
} from "./upload-ledger.js";

/** How the ledger reaches its engine: statements with `?` placeholders. */
export interface SqlExecutor {
  all<T = UploadRow>(sql: string, params: readonly unknown[]): Promise<T[]>;
  /** Runs a write; resolves with the number of rows changed. */
  run(sql: string, params: readonly unknown[]): Promise<number>;
}

/** The upload ledger over either engine of the handle store (same portable SQL). */
export class SqlUploadLedger implements UploadLedger {
  constructor(private readonly sql: SqlExecutor) {}

  async record(upload: NewSignedUpload): Promise<SignedUpload> {
    const stored: SignedUpload = { ...upload, id: newUploadId(), state: "pending" };
    const row = uploadToRow(stored);
    await this.sql.run(`INSERT INTO presignd_uploads (${UPLOAD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
      row.id,
      row.bucket,
      row.object_key,
      row.kind,
      row.signer,
      row.signed_at,
      row.expires_at,
      row.expectation,
      row.upload_id,
      row.state,
      row.state_at,
    ]);
    return stored;
  }

  async forObject(bucket: string, key: string, limit: number): Promise<SignedUpload[]> {
    const rows = await this.sql.all(
      `SELECT ${UPLOAD_COLUMNS} FROM presignd_uploads WHERE bucket = ? AND object_key = ? ORDER BY signed_at DESC, id LIMIT ?`,
      [bucket, key, limit],
    );
    return rows.map(rowToUpload);
  }

  async byUploadId(bucket: string, uploadId: string): Promise<SignedUpload | undefined> {
    const rows = await this.sql.all(
      `SELECT ${UPLOAD_COLUMNS} FROM presignd_uploads WHERE bucket = ? AND upload_id = ? LIMIT 1`,
      [bucket, uploadId],
    );
    return rows[0] && rowToUpload(rows[0]);
  }

  async expiredMultipart(now: Date, staleClaim: Date, limit: number): Promise<SignedUpload[]> {
    const rows = await this.sql.all(
      `SELECT ${UPLOAD_COLUMNS} FROM presignd_uploads
       WHERE kind = 'multipart' AND expires_at < ?
         AND (state = 'pending' OR (state = 'reaping' AND state_at < ?))
       ORDER BY expires_at LIMIT ?`,
      [now.getTime(), staleClaim.getTime(), limit],
    );
    return rows.map(rowToUpload);
  }

  async openMultipart(limit: number): Promise<SignedUpload[]> {
    const rows = await this.sql.all(
      `SELECT ${UPLOAD_COLUMNS} FROM presignd_uploads
       WHERE kind = 'multipart' AND state IN ('pending', 'reaping') ORDER BY signed_at LIMIT ?`,
      [limit],
    );
    return rows.map(rowToUpload);
  }

  async settle(id: string, from: readonly UploadState[], to: UploadState, at: Date): Promise<boolean> {
    if (from.length === 0) return false;
    const changed = await this.sql.run(
      `UPDATE presignd_uploads SET state = ?, state_at = ? WHERE id = ? AND state IN (${from.map(() => "?").join(", ")})`,
      [to, at.getTime(), id, ...from],
    );
    return changed === 1;
  }

  async purge(before: Date): Promise<number> {
    const uploads = await this.sql.run(
      `DELETE FROM presignd_uploads WHERE expires_at < ? AND (kind <> 'multipart' OR state NOT IN ('pending', 'reaping'))`,
      [before.getTime()],
    );
    const events = await this.sql.run("DELETE FROM presignd_upload_events WHERE landed_at < ?", [before.getTime()]);
    return uploads + events;
  }

  async toPoll(now: Date, limit: number): Promise<SignedUpload[]> {
    const rows = await this.sql.all(
      `SELECT ${UPLOAD_COLUMNS} FROM presignd_uploads WHERE state = 'pending' AND expires_at > ?
       ORDER BY COALESCE(checked_at, 0), signed_at LIMIT ?`,
      [now.getTime() - LANDING_GRACE_MS, limit],
    );
    for (const row of rows)
      await this.sql.run("UPDATE presignd_uploads SET checked_at = ? WHERE id = ?", [now.getTime(), row.id]);
    return rows.map(rowToUpload);
  }

  async appendEvent(event: Omit<LandedEvent, "seq">): Promise<LandedEvent> {
    const rows = await this.sql.all<{ seq: number | string }>(
      "INSERT INTO presignd_upload_events (bucket, object_key, kind, landed_at, event) VALUES (?, ?, ?, ?, ?) RETURNING seq",
      [event.bucket, event.key, event.kind, event.landedAt.getTime(), JSON.stringify(event.detail)],
    );
    return { ...event, seq: BigInt(rows[0]?.seq ?? 0) };
  }

  async eventsAfter(seq: bigint, bucket: string, prefix: string, limit: number): Promise<LandedEvent[]> {
    const rows = await this.sql.all<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM presignd_upload_events
       WHERE seq > ? AND bucket = ? AND substr(object_key, 1, ?) = ? ORDER BY seq LIMIT ?`,
      // substr counts characters (code points) on both engines.
      [seq.toString(), bucket, [...prefix].length, prefix, limit],
    );
    return rows.map(rowToEvent);
  }

  async allEventsAfter(seq: bigint, limit: number): Promise<LandedEvent[]> {
    const rows = await this.sql.all<EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM presignd_upload_events WHERE seq > ? ORDER BY seq LIMIT ?`,
      [seq.toString(), limit],
    );
    return rows.map(rowToEvent);
  }

  async latestEvent(): Promise<bigint> {
    const rows = await this.sql.all<{ seq: number | string | null }>(
      "SELECT MAX(seq) AS seq FROM presignd_upload_events",
      [],
    );
    return BigInt(rows[0]?.seq ?? 0);
  }
}

/** How long after its URL expired an upload may still land (a long PUT begun just in time). */
const LANDING_GRACE_MS = 15 * 60_000;

interface EventRow {
  seq: number | string;
  bucket: string;
  object_key: string;
  kind: string;
  landed_at: number | string;
  event: string;
}

const EVENT_COLUMNS = "seq, bucket, object_key, kind, landed_at, event";

function rowToEvent(row: EventRow): LandedEvent {
  return {
    seq: BigInt(row.seq),
    bucket: row.bucket,
    key: row.object_key,
    kind: row.kind as LandedEvent["kind"],
    landedAt: new Date(Number(row.landed_at)),
    detail: JSON.parse(row.event) as LandedEvent["detail"],
  };
}

/** `?` placeholders as PostgreSQL's `$1, $2, …` (the statements above hold no literal "?"). */
export function numberedPlaceholders(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
