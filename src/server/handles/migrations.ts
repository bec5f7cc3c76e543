/**
 * The handle store's schema, as numbered migrations applied in order, each
 * once, recorded in `presignd_schema`. Both engines run the same statements
 * (portable types only: TEXT, BIGINT), except where a migration gives each
 * engine its own (an auto-incrementing key). Never edit a published
 * migration; add the next one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[] | Readonly<Record<StoreEngine, readonly string[]>>;
}

export type StoreEngine = "sqlite" | "postgres";

/** The statements of a migration for one engine. */
export function statementsFor(migration: Migration, engine: StoreEngine): readonly string[] {
  const s = migration.statements;
  return Array.isArray(s) ? (s as readonly string[]) : (s as Record<StoreEngine, readonly string[]>)[engine];
}

// The upload events table, the same on both engines but for its sequence column.
const EVENT_COLUMNS = `bucket TEXT NOT NULL,
          object_key TEXT NOT NULL,
          kind TEXT NOT NULL,
          landed_at BIGINT NOT NULL,
          event TEXT NOT NULL`;
const EVENT_INDEXES = [
  "CREATE INDEX presignd_upload_events_landed_at ON presignd_upload_events (landed_at)",
  "ALTER TABLE presignd_uploads ADD COLUMN checked_at BIGINT",
];

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "stored handles",
    statements: [
      `CREATE TABLE presignd_handles (
        digest TEXT PRIMARY KEY,
        bucket TEXT NOT NULL,
        object_key TEXT NOT NULL,
        operations TEXT NOT NULL,
        minter TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT
      )`,
      "CREATE INDEX presignd_handles_expires_at ON presignd_handles (expires_at)",
    ],
  },
  {
    version: 2,
    name: "signed uploads (ConfirmUpload, multipart reaper)",
    statements: [
      `CREATE TABLE presignd_uploads (
        id TEXT PRIMARY KEY,
        bucket TEXT NOT NULL,
        object_key TEXT NOT NULL,
        kind TEXT NOT NULL,
        signer TEXT NOT NULL,
        signed_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        expectation TEXT NOT NULL,
        upload_id TEXT,
        state TEXT NOT NULL,
        state_at BIGINT
      )`,
      "CREATE INDEX presignd_uploads_object ON presignd_uploads (bucket, object_key, signed_at)",
      "CREATE INDEX presignd_uploads_upload_id ON presignd_uploads (bucket, upload_id)",
      "CREATE INDEX presignd_uploads_state ON presignd_uploads (kind, state, expires_at)",
    ],
  },
  {
    version: 3,
    name: "upload events (WatchUploads)",
    statements: {
      sqlite: [
        `CREATE TABLE presignd_upload_events (
          seq INTEGER PRIMARY KEY AUTOINCREMENT,
          ${EVENT_COLUMNS}
        )`,
        ...EVENT_INDEXES,
      ],
      postgres: [
        `CREATE TABLE presignd_upload_events (
          seq BIGSERIAL PRIMARY KEY,
          ${EVENT_COLUMNS}
        )`,
        ...EVENT_INDEXES,
      ],
    },
  },
  {
    version: 4,
    name: "webhook cursor (one delivering instance at a time, by lease)",
    statements: [
      `CREATE TABLE presignd_webhook_cursor (
        name TEXT PRIMARY KEY,
        seq BIGINT NOT NULL,
        id_prefix TEXT NOT NULL,
        owner TEXT,
        lease_until BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
    ],
  },
];

export const SCHEMA_TABLE = `CREATE TABLE IF NOT EXISTS presignd_schema (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;

/** The migrations still to apply, or an error when the database is newer than this build. */
export function pendingMigrations(applied: readonly number[], engine: string): readonly Migration[] {
  const newest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  const highest = Math.max(0, ...applied);
  if (highest > newest) {
    throw new Error(
      `the ${engine} handle store has schema version ${highest}, newer than this presignd knows (${newest}): upgrade presignd`,
    );
  }
  const done = new Set(applied);
  return MIGRATIONS.filter((m) => !done.has(m.version));
}
