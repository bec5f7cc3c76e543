import Database from "better-sqlite3";
import { type SqlExecutor, SqlUploadLedger } from "../uploads/sql-upload-ledger.js";
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
 * The embedded handle store: one SQLite file (WAL), or ":memory:" for a
 * process-local store. One server process per file.
 */
export class SqliteHandleStore implements HandleStore {
  readonly engine = "sqlite";
  readonly uploads: SqlUploadLedger;
  readonly webhooks: SqlWebhookCursor;
  private readonly insertRow: Database.Statement;
  private readonly findRow: Database.Statement<[string], HandleRow>;
  private readonly revokeRow: Database.Statement;
  private readonly purgeRows: Database.Statement;

  private constructor(private readonly db: Database.Database) {
    this.insertRow = db.prepare(
      `INSERT INTO presignd_handles (digest, bucket, object_key, operations, minter, created_at, expires_at)
       VALUES (@digest, @bucket, @object_key, @operations, @minter, @created_at, @expires_at)`,
    );
    this.findRow = db.prepare(
      "SELECT bucket, object_key, operations, minter, created_at, expires_at, revoked_at FROM presignd_handles WHERE digest = ?",
    );
    this.revokeRow = db.prepare("UPDATE presignd_handles SET revoked_at = ? WHERE digest = ? AND revoked_at IS NULL");
    this.purgeRows = db.prepare("DELETE FROM presignd_handles WHERE expires_at < ?");
    const statements = new Map<string, Database.Statement>();
    const statement = (sql: string) => {
      let prepared = statements.get(sql);
      if (!prepared) {
        prepared = db.prepare(sql);
        statements.set(sql, prepared);
      }
      return prepared;
    };
    const sql: SqlExecutor = {
      all: async <T>(sql: string, params: readonly unknown[]) => statement(sql).all(...params) as T[],
      run: async (sql, params) => statement(sql).run(...params).changes,
    };
    this.uploads = new SqlUploadLedger(sql);
    this.webhooks = new SqlWebhookCursor(sql);
  }

  /** Opens (creating if needed) and migrates the database at `path`. */
  static open(path: string): SqliteHandleStore {
    const db = new Database(path);
    try {
      db.pragma("journal_mode = WAL");
      db.pragma("busy_timeout = 5000");
      migrate(db);
      return new SqliteHandleStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  async insert(digest: string, grant: HandleGrant, now: Date): Promise<void> {
    this.insertRow.run({ digest, ...grantToRow(grant, now) });
  }

  async find(digest: string): Promise<StoredGrant | undefined> {
    const row = this.findRow.get(digest);
    return row ? rowToGrant(row) : undefined;
  }

  async revoke(digest: string, now: Date): Promise<boolean> {
    return this.revokeRow.run(now.getTime(), digest).changes === 1;
  }

  async purgeExpired(before: Date): Promise<number> {
    return this.purgeRows.run(before.getTime()).changes;
  }

  async ping(): Promise<void> {
    this.db.prepare("SELECT 1").get();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function migrate(db: Database.Database): void {
  // IMMEDIATE takes the write lock first: two processes cannot both migrate.
  db.transaction(() => {
    db.exec(SCHEMA_TABLE);
    const applied = db
      .prepare("SELECT version FROM presignd_schema")
      .all()
      .map((r) => (r as { version: number }).version);
    for (const migration of pendingMigrations(applied, "sqlite")) {
      for (const statement of statementsFor(migration, "sqlite")) db.exec(statement);
      db.prepare("INSERT INTO presignd_schema (version, name, applied_at) VALUES (?, ?, ?)").run(
        migration.version,
        migration.name,
        Date.now(),
      );
    }
  }).immediate();
}
