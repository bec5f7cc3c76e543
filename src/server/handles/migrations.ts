/**
 * The handle store's schema, as numbered migrations applied in order, each
 * once, recorded in `presignd_schema`. Both engines run the same statements
 * (portable types only: TEXT, BIGINT). Never edit a published migration; add
 * the next one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly statements: readonly string[];
}

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
