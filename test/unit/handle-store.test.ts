import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { handleDigest, isStoredHandle, mintStoredHandle } from "../../src/server/handles/handle-store.js";
import { describeHandleStore, parseHandleStore } from "../../src/server/handles/handle-store-setting.js";
import { MIGRATIONS } from "../../src/server/handles/migrations.js";
import { SqliteHandleStore } from "../../src/server/handles/sqlite-handle-store.js";
import { handleStoreContract } from "../support/handle-store-contract.js";

describe("SQLite handle store", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "presignd-sqlite-"));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  describe("in memory", () => handleStoreContract(async () => SqliteHandleStore.open(":memory:")));
  describe("in a file", () => {
    let n = 0;
    handleStoreContract(async () => SqliteHandleStore.open(join(dir, `contract-${n++}.db`)));
  });

  it("migrates once: reopening applies nothing and keeps the rows", async () => {
    const file = join(dir, "reopen.db");
    const digest = handleDigest(mintStoredHandle());
    const first = SqliteHandleStore.open(file);
    await first.insert(
      digest,
      {
        bucket: "b",
        key: "k",
        operations: ["get"],
        minter: { subject: "s", groups: [], method: "none" },
        expiresAt: new Date(Date.now() + 60_000),
      },
      new Date(),
    );
    await first.close();
    const second = SqliteHandleStore.open(file);
    assert.equal((await second.find(digest))?.key, "k");
    await second.close();
    const db = new Database(file, { readonly: true });
    const versions = db.prepare("SELECT version FROM presignd_schema ORDER BY version").all();
    db.close();
    assert.deepEqual(
      versions,
      MIGRATIONS.map((m) => ({ version: m.version })),
    );
  });

  it("refuses a database migrated by a newer presignd, naming both versions", async () => {
    const file = join(dir, "newer.db");
    (await SqliteHandleStore.open(file)).close();
    const db = new Database(file);
    db.prepare("INSERT INTO presignd_schema (version, name, applied_at) VALUES (99, 'future', 0)").run();
    db.close();
    assert.throws(() => SqliteHandleStore.open(file), {
      message: `the sqlite handle store has schema version 99, newer than this presignd knows (${MIGRATIONS.length}): upgrade presignd`,
    });
  });
});

describe("stored handle identifiers", () => {
  it("are 256 random bits behind a prefix, and only that form is accepted", () => {
    const handles = new Set(Array.from({ length: 1000 }, mintStoredHandle));
    assert.equal(handles.size, 1000);
    for (const h of handles) assert.ok(isStoredHandle(h) && h.length === 47, h);
    for (const bad of [
      "psh_",
      "psh_short",
      `psh_${"A".repeat(42)}=`,
      `psh_${"A".repeat(44)}`,
      `PSH_${"A".repeat(43)}`,
      `psh_${"A".repeat(42)}.`,
    ]) {
      assert.equal(isStoredHandle(bad), false, bad);
    }
  });

  it("are stored only as their SHA-256 (hex)", () => {
    // FIPS 180-2's "abc" vector.
    assert.equal(handleDigest("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("--handle-store", () => {
  it("parses every accepted form", () => {
    assert.deepEqual(parseHandleStore("memory"), { engine: "sqlite", path: ":memory:" });
    assert.deepEqual(parseHandleStore("sqlite::memory:"), { engine: "sqlite", path: ":memory:" });
    assert.deepEqual(parseHandleStore("/var/lib/presignd/handles.db"), {
      engine: "sqlite",
      path: "/var/lib/presignd/handles.db",
    });
    assert.deepEqual(parseHandleStore("sqlite:handles.db"), { engine: "sqlite", path: "handles.db" });
    assert.deepEqual(parseHandleStore("postgres://u:p@db:5432/presignd"), {
      engine: "postgres",
      url: "postgres://u:p@db:5432/presignd",
    });
    assert.deepEqual(parseHandleStore("postgresql://db/presignd?sslmode=require"), {
      engine: "postgres",
      url: "postgresql://db/presignd?sslmode=require",
    });
    assert.equal(parseHandleStore(""), undefined);
    assert.equal(parseHandleStore(undefined), undefined);
  });

  it("refuses other URLs without echoing them whole", () => {
    assert.throws(
      () => parseHandleStore("mysql://root:hunter2@db/x"),
      (e: Error) => {
        assert.equal(e.message, 'expected postgres://…, sqlite:<file>, memory or a file path, got "mysql://…"');
        return true;
      },
    );
    assert.throws(() => parseHandleStore("sqlite:"), /expected postgres/);
  });

  it("never shows the database password", () => {
    const described = describeHandleStore({
      engine: "postgres",
      url: "postgres://presignd:s3cr%2Ft@db.internal:5432/handles",
    });
    assert.equal(described, "postgres://presignd:REDACTED@db.internal:5432/handles");
  });
});
