import pg from "pg";
import { numberedPlaceholders, type SqlExecutor, SqlUploadLedger } from "../uploads/sql-upload-ledger.js";
import { SqlWebhookCursor } from "../uploads/webhook-cursor.js";
import {
  grantToRow,
  type HandleGrant,
  type HandleRow,
  type HandleStore,
  rowToGrant,
  type StoredGrant,
} from "./handle-store.js";
import { pendingMigrations, SCHEMA_TABLE, statementsFor } from "./migrations.js";

/**
 * Every query answers within this, or fails (UNAVAILABLE to the caller): a
 * frozen or partitioned database must not hang RPCs. Set on the client (the
 * socket may be dead) and the server (a slow plan is cancelled there too).
 */
export const QUERY_TIMEOUT_MS = 5_000;

/** Arbitrary constant naming presignd's migration lock (pg_advisory_xact_lock). */
const MIGRATION_LOCK = 7_270_148_613;

/**
 * The shared handle store for several presignd instances: PostgreSQL through
 * a small pool. Revocations are visible to every instance at once.
 */
export class PostgresHandleStore implements HandleStore {
  readonly engine = "postgres";
  readonly uploads: SqlUploadLedger;
  readonly webhooks: SqlWebhookCursor;

  private constructor(private readonly pool: pg.Pool) {
    const sql: SqlExecutor = {
      all: async <T>(sql: string, params: readonly unknown[]) =>
        (await pool.query(numberedPlaceholders(sql), [...params])).rows as T[],
      run: async (sql, params) => (await pool.query(numberedPlaceholders(sql), [...params])).rowCount ?? 0,
    };
    this.uploads = new SqlUploadLedger(sql);
    this.webhooks = new SqlWebhookCursor(sql);
  }

  /** Connects, then migrates under an advisory lock (instances may start together). */
  static async open(connectionString: string, options: { max?: number } = {}): Promise<PostgresHandleStore> {
    const pool = new pg.Pool({
      connectionString,
      max: options.max ?? 8,
      connectionTimeoutMillis: 5_000,
      query_timeout: QUERY_TIMEOUT_MS,
      statement_timeout: QUERY_TIMEOUT_MS,
      idleTimeoutMillis: 30_000,
      application_name: "presignd",
    });
    // An idle client losing its connection must not crash the process.
    pool.on("error", () => {});
    try {
      await migrate(pool);
      return new PostgresHandleStore(pool);
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  async insert(digest: string, grant: HandleGrant, now: Date): Promise<void> {
    const row = grantToRow(grant, now);
    await this.pool.query(
      `INSERT INTO presignd_handles (digest, bucket, object_key, operations, minter, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [digest, row.bucket, row.object_key, row.operations, row.minter, row.created_at, row.expires_at],
    );
  }

  async find(digest: string): Promise<StoredGrant | undefined> {
    const result = await this.pool.query<HandleRow>(
      "SELECT bucket, object_key, operations, minter, created_at, expires_at, revoked_at FROM presignd_handles WHERE digest = $1",
      [digest],
    );
    const row = result.rows[0];
    return row ? rowToGrant(row) : undefined;
  }

  async revoke(digest: string, now: Date): Promise<boolean> {
    const result = await this.pool.query(
      "UPDATE presignd_handles SET revoked_at = $1 WHERE digest = $2 AND revoked_at IS NULL",
      [now.getTime(), digest],
    );
    return result.rowCount === 1;
  }

  async purgeExpired(before: Date): Promise<number> {
    const result = await this.pool.query("DELETE FROM presignd_handles WHERE expires_at < $1", [before.getTime()]);
    return result.rowCount ?? 0;
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

async function migrate(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK]);
    await client.query(SCHEMA_TABLE);
    const applied = (await client.query<{ version: number }>("SELECT version FROM presignd_schema")).rows.map(
      (r) => r.version,
    );
    for (const migration of pendingMigrations(applied, "postgres")) {
      for (const statement of statementsFor(migration, "postgres")) await client.query(statement);
      await client.query("INSERT INTO presignd_schema (version, name, applied_at) VALUES ($1, $2, $3)", [
        migration.version,
        migration.name,
        Date.now(),
      ]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
