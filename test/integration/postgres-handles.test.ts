import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import pg from "pg";
import { connectPresignd } from "../../src/cli/node-client.js";
import { HandleKind, Operation } from "../../src/gen/presign/v1/presign_pb.js";
import { MIGRATIONS } from "../../src/server/handles/migrations.js";
import { PostgresHandleStore, QUERY_TIMEOUT_MS } from "../../src/server/handles/postgres-handle-store.js";
import { handleStoreContract } from "../support/handle-store-contract.js";
import { type Postgres, startPostgres } from "../support/postgres.js";
import { refusal } from "../support/refusal.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// A real PostgreSQL server (Debian's postgresql package), started for this file.
describe("PostgreSQL handle store", () => {
  let postgres: Postgres;
  before(async () => {
    postgres = await startPostgres();
  });
  after(() => postgres.close());

  describe("contract", () => {
    let n = 0;
    handleStoreContract(async () => PostgresHandleStore.open(await postgres.createDatabase(`contract_${n++}`)));
  });

  it("instances starting together migrate exactly once", async () => {
    const url = await postgres.createDatabase("race");
    const stores = await Promise.all(Array.from({ length: 6 }, () => PostgresHandleStore.open(url)));
    await Promise.all(stores.map((s) => s.close()));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query("SELECT version, name FROM presignd_schema ORDER BY version");
    await client.end();
    assert.deepEqual(
      rows,
      MIGRATIONS.map((m) => ({ version: m.version, name: m.name })),
    );
  });

  it("refuses a database migrated by a newer presignd", async () => {
    const url = await postgres.createDatabase("newer");
    await (await PostgresHandleStore.open(url)).close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query("INSERT INTO presignd_schema (version, name, applied_at) VALUES (42, 'future', 0)");
    await client.end();
    await assert.rejects(PostgresHandleStore.open(url), {
      message: `the postgres handle store has schema version 42, newer than this presignd knows (${MIGRATIONS.length}): upgrade presignd`,
    });
  });

  describe("two presignd instances sharing one database", () => {
    let a: TestServer;
    let b: TestServer;
    let url: string;
    before(async () => {
      url = await postgres.createDatabase("shared");
      [a, b] = await Promise.all([startTestServer({ handleStore: url }), startTestServer({ handleStore: url })]);
    });
    after(async () => {
      await a.close();
      await b.close();
    });

    it("a handle minted on one is used and revoked on the other", async () => {
      const onA = connectPresignd({ baseUrl: a.url });
      const onB = connectPresignd({ baseUrl: b.url });
      const { handle, kind } = await onA.service.createHandle({
        key: "shared/report.csv",
        operations: [Operation.GET],
      });
      assert.equal(kind, HandleKind.STORED);
      const get = await onB.service.getObject({ handle });
      assert.match(get.url, /\/dev\/shared\/report\.csv\?/);
      assert.equal((await onB.service.revokeHandle({ handle })).revoked, true);
      const refused = await refusal(onA.service.getObject({ handle }));
      assert.equal(refused.code, Code.FailedPrecondition);
      assert.match(refused.rawMessage, /^handle: revoked at /);
    });

    it("with the database frozen: UNAVAILABLE within the query timeout, not a hang", async () => {
      const client = connectPresignd({ baseUrl: a.url });
      const { handle } = await client.service.createHandle({ key: "x/frozen", operations: [Operation.GET] });
      await postgres.freeze();
      try {
        const started = Date.now();
        const frozen = await refusal(client.service.getObject({ handle }));
        const took = Date.now() - started;
        assert.equal(frozen.code, Code.Unavailable);
        assert.ok(took < QUERY_TIMEOUT_MS + 3_000, `answered after ${took} ms`);
        assert.ok(took >= QUERY_TIMEOUT_MS - 500, `answered after ${took} ms: not the query timeout?`);
      } finally {
        await postgres.thaw();
      }
      await client.service.getObject({ handle });
    });

    it("with the database down: UNAVAILABLE (retryable) and not ready; back when it is", async () => {
      const client = connectPresignd({ baseUrl: a.url });
      const { handle } = await client.service.createHandle({ key: "x/y", operations: [Operation.GET] });
      await postgres.stop();
      try {
        const down = await refusal(client.service.getObject({ handle }));
        assert.equal(down.code, Code.Unavailable);
        // The caller learns nothing of the store: no host, port or engine error.
        assert.equal(down.rawMessage, "the handle store is unavailable; retry later");
        const logged = a.logs.findLast((l) => l.rpc === "GetObject" && l.code === "unavailable");
        assert.match(String(logged?.cause), /ECONNREFUSED|terminat|connect/i);
        const minted = await refusal(client.service.createHandle({ key: "x/z", operations: [Operation.GET] }));
        assert.equal(minted.code, Code.Unavailable);
        // Keys still work without the store.
        await client.service.getObject({ key: "x/y" });
        await new Promise((resolve) => setTimeout(resolve, 5_100));
        const ready = await fetch(`${a.url}/readyz`);
        assert.equal(ready.status, 503);
        const reason = (await ready.json()) as { reason: string };
        assert.equal(reason.reason, "postgres handle store does not answer");
      } finally {
        await postgres.start();
      }
      await client.service.getObject({ handle });
    });
  });
});
