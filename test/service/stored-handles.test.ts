import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import Database from "better-sqlite3";
import { connectPresignd } from "../../src/cli/node-client.js";
import { HandleKind, Operation } from "../../src/gen/presign/v1/presign_pb.js";
import { handleDigest } from "../../src/server/handles/handle-store.js";
import { homePolicy, KEYS, writePolicy } from "../support/policy.js";
import { refusal } from "../support/refusal.js";
import { serverForSuite, startTestServer, type TestServer } from "../support/test-server.js";

describe("stored object handles (development mode: SQLite in memory)", () => {
  const suite = serverForSuite();

  it("are the default: short, random, and stand in for bucket and key", async () => {
    const created = await suite.client.service.createHandle({
      key: "secret/quarterly-report.pdf",
      operations: [Operation.GET, Operation.PUT],
    });
    assert.equal(created.kind, HandleKind.STORED);
    assert.match(created.handle, /^psh_[A-Za-z0-9_-]{43}$/);
    const get = await suite.client.service.getObject({ handle: created.handle });
    assert.match(get.url, /\/dev\/secret\/quarterly-report\.pdf\?/);
    const put = await suite.client.service.putObject({ handle: created.handle, contentLength: 5n });
    assert.equal(put.method, "PUT");
    const post = await refusal(suite.client.service.postPolicy({ handle: created.handle, maxContentLength: 9n }));
    assert.deepEqual(
      [post.code, post.rawMessage],
      [Code.PermissionDenied, "permission denied: the handle does not allow post"],
    );
  });

  it("revocation takes effect at once and is idempotent", async () => {
    const { handle } = await suite.client.service.createHandle({ key: "a/b", operations: [Operation.GET] });
    await suite.client.service.getObject({ handle });
    assert.equal((await suite.client.service.revokeHandle({ handle })).revoked, true);
    const refused = await refusal(suite.client.service.getObject({ handle }));
    assert.equal(refused.code, Code.FailedPrecondition);
    assert.match(refused.rawMessage, /^handle: revoked at \d{4}-\d\d-\d\dT/);
    assert.equal((await suite.client.service.revokeHandle({ handle })).revoked, false);
  });

  it("unknown, malformed and sealed handles get precise answers", async () => {
    const unknown = await refusal(suite.client.service.getObject({ handle: `psh_${"A".repeat(43)}` }));
    assert.deepEqual(
      [unknown.code, unknown.rawMessage],
      [Code.NotFound, "handle: no such handle (never issued here, or removed after expiry)"],
    );
    const malformed = await refusal(suite.client.service.getObject({ handle: "psh_../../etc/passwd" }));
    assert.deepEqual(
      [malformed.code, malformed.rawMessage],
      [Code.InvalidArgument, "handle: is not a presignd handle"],
    );
    const revokeEmpty = await refusal(suite.client.service.revokeHandle({ handle: "" }));
    assert.equal(revokeEmpty.code, Code.InvalidArgument);
    assert.match(revokeEmpty.rawMessage, /^handle: /);
    const { handle: sealed } = await suite.client.service.createHandle({
      key: "a/b",
      operations: [Operation.GET],
      kind: HandleKind.SEALED,
    });
    const revokeSealed = await refusal(suite.client.service.revokeHandle({ handle: sealed }));
    assert.equal(revokeSealed.code, Code.FailedPrecondition);
    assert.match(revokeSealed.rawMessage, /^handle: sealed handles cannot be revoked/);
    const badKind = await refusal(
      suite.client.service.createHandle({ key: "a/b", operations: [Operation.GET], kind: 7 as HandleKind }),
    );
    assert.equal(badKind.code, Code.InvalidArgument);
    assert.match(badKind.rawMessage, /^kind: /);
  });

  it("an expired stored handle is FAILED_PRECONDITION", async () => {
    const { handle } = await suite.client.service.createHandle({
      key: "a/b",
      operations: [Operation.GET],
      expiresIn: { seconds: 1n },
    });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const error = await refusal(suite.client.service.getObject({ handle }));
    assert.equal(error.code, Code.FailedPrecondition);
    assert.match(error.rawMessage, /^handle: expired at /);
  });
});

describe("stored handles in a SQLite file, under a policy", () => {
  let dir: string;
  let file: string;
  let policy: string;
  let server: TestServer;
  const as = (key: string) => connectPresignd({ baseUrl: server.url, headers: { "x-api-key": key } });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "presignd-handles-"));
    file = join(dir, "handles.db");
    policy = await writePolicy(homePolicy());
    server = await startTestServer({ policy, handleStore: file });
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("only the minter may revoke, and both decisions are audited", async () => {
    const { handle, kind } = await as(KEYS.alice).service.createHandle({
      key: "users/alice/doc.txt",
      operations: [Operation.GET],
    });
    assert.equal(kind, HandleKind.STORED);
    await as(KEYS.bob).service.getObject({ handle });
    const denied = await refusal(as(KEYS.bob).service.revokeHandle({ handle }));
    assert.deepEqual(
      [denied.code, denied.rawMessage],
      [Code.PermissionDenied, "permission denied: only the handle's minter may revoke it"],
    );
    await as(KEYS.bob).service.getObject({ handle });
    assert.equal((await as(KEYS.alice).service.revokeHandle({ handle })).revoked, true);
    const audits = server.logs.filter((l) => l.audit === true && l.operation === "revoke_handle");
    assert.deepEqual(
      audits.map((l) => [l.principal, l.on_behalf_of, l.decision]),
      [
        ["bob", "alice", "deny"],
        ["alice", "alice", "allow"],
      ],
    );
    assert.ok(!server.logText().includes(handle), "the handle itself is never logged");
  });

  it("the file keeps only digests, and handles outlive a restart", async () => {
    const { handle } = await as(KEYS.alice).service.createHandle({
      key: "users/alice/kept.txt",
      operations: [Operation.GET],
    });
    await server.close();
    const db = new Database(file, { readonly: true });
    const rows = db.prepare("SELECT digest, object_key FROM presignd_handles").all() as { digest: string }[];
    const dump = JSON.stringify(db.prepare("SELECT * FROM presignd_handles").all());
    db.close();
    assert.ok(rows.some((r) => r.digest === handleDigest(handle)));
    assert.ok(!dump.includes(handle.slice(4)), "no handle in the database");
    server = await startTestServer({ policy, handleStore: file });
    const get = await as(KEYS.bob).service.getObject({ handle });
    assert.match(get.url, /\/dev\/users\/alice\/kept\.txt\?/);
  });
});
