import { randomBytes } from "node:crypto";
import type { SqlExecutor } from "./sql-upload-ledger.js";

/** The lease as the store holds it: the cursor's position when `owner` holds it. */
export interface WebhookLease {
  /** Every event up to this sequence number is done (delivered, given up, or filtered out). */
  readonly position: bigint;
  /** The stable first part of every `webhook-id` of this store (random, made with the cursor). */
  readonly idPrefix: string;
}

/**
 * Where webhook delivery stands, in the handle store shared by instances:
 * one row with the position of the last event done and a lease, so that one
 * instance at a time delivers, in order, and another takes over when the
 * lease holder stops renewing it (it died, or stopped and released it).
 */
export interface WebhookCursor {
  /** Creates the cursor at `position` unless it exists (webhooks deliver what lands after they are turned on). */
  init(position: bigint, now: Date): Promise<void>;
  /**
   * Takes the lease for `owner` until `until` when it is free (expired, or
   * released), or renews it when `owner` holds it; undefined when another
   * instance holds it.
   */
  claim(owner: string, now: Date, until: Date): Promise<WebhookLease | undefined>;
  /**
   * Moves the cursor forward to `position`, as long as `owner` holds the
   * lease; false when another instance took it over (or moved it past).
   */
  advance(owner: string, position: bigint, now: Date): Promise<boolean>;
  /** Gives the lease up (at shutdown), so that another instance takes over at once. */
  release(owner: string): Promise<void>;
}

/** The cursor's row: one receiver, one row. */
const NAME = "webhook";

/** The cursor over either engine of the handle store (portable SQL, like the upload ledger's). */
export class SqlWebhookCursor implements WebhookCursor {
  constructor(private readonly sql: SqlExecutor) {}

  async init(position: bigint, now: Date): Promise<void> {
    await this.sql.run(
      `INSERT INTO presignd_webhook_cursor (name, seq, id_prefix, owner, lease_until, updated_at)
       VALUES (?, ?, ?, NULL, 0, ?) ON CONFLICT (name) DO NOTHING`,
      [NAME, position.toString(), randomBytes(8).toString("hex"), now.getTime()],
    );
  }

  async claim(owner: string, now: Date, until: Date): Promise<WebhookLease | undefined> {
    const changed = await this.sql.run(
      `UPDATE presignd_webhook_cursor SET owner = ?, lease_until = ?
       WHERE name = ? AND (owner = ? OR lease_until < ?)`,
      [owner, until.getTime(), NAME, owner, now.getTime()],
    );
    if (changed !== 1) return undefined;
    const rows = await this.sql.all<{ seq: number | string; id_prefix: string }>(
      "SELECT seq, id_prefix FROM presignd_webhook_cursor WHERE name = ?",
      [NAME],
    );
    const row = rows[0];
    return row && { position: BigInt(row.seq), idPrefix: row.id_prefix };
  }

  async advance(owner: string, position: bigint, now: Date): Promise<boolean> {
    const changed = await this.sql.run(
      "UPDATE presignd_webhook_cursor SET seq = ?, updated_at = ? WHERE name = ? AND owner = ? AND seq < ?",
      [position.toString(), now.getTime(), NAME, owner, position.toString()],
    );
    return changed === 1;
  }

  async release(owner: string): Promise<void> {
    await this.sql.run("UPDATE presignd_webhook_cursor SET lease_until = 0 WHERE name = ? AND owner = ?", [
      NAME,
      owner,
    ]);
  }
}
