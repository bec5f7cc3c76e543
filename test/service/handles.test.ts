import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { connectPresignd } from "../../src/cli/node-client.js";
import { HandleKind, Operation } from "../../src/gen/presign/v1/presign_pb.js";
import { homePolicy, KEYS, writePolicy } from "../support/policy.js";
import { refusal } from "../support/refusal.js";
import { serverForSuite, startTestServer, type TestServer } from "../support/test-server.js";

describe("sealed object handles (development mode)", () => {
  const suite = serverForSuite();

  it("a handle shows nothing of the key and stands in for bucket and key", async () => {
    const { handle, expiresAt } = await suite.client.service.createHandle({
      key: "secret/quarterly-report.pdf",
      operations: [Operation.GET, Operation.PUT],
      expiresIn: { seconds: 300n },
      kind: HandleKind.SEALED,
    });
    assert.ok(expiresAt);
    assert.ok(
      !handle.includes("quarterly") &&
        !Buffer.from(handle.split(".")[0] ?? "", "base64url")
          .toString()
          .includes("secret"),
    );
    const get = await suite.client.service.getObject({ handle });
    assert.match(get.url, /\/dev\/secret\/quarterly-report\.pdf\?/);
    const put = await suite.client.service.putObject({ handle, contentLength: 5n });
    assert.equal(put.method, "PUT");
  });

  it("refuses operations the handle does not allow, tampering, garbage and mixing", async () => {
    const { handle } = await suite.client.service.createHandle({
      key: "a/b",
      operations: [Operation.GET],
      kind: HandleKind.SEALED,
    });
    const post = await refusal(suite.client.service.postPolicy({ handle, maxContentLength: 10n }));
    assert.deepEqual(
      [post.code, post.rawMessage],
      [Code.PermissionDenied, "permission denied: the handle does not allow post"],
    );
    const parts = handle.split(".");
    const body = parts[3] ?? "";
    parts[3] = (body[0] === "A" ? "B" : "A") + body.slice(1);
    const tampered = await refusal(suite.client.service.getObject({ handle: parts.join(".") }));
    assert.deepEqual(
      [tampered.code, tampered.rawMessage],
      [Code.InvalidArgument, "handle: is not a valid handle (altered or corrupted)"],
    );
    const garbage = await refusal(suite.client.service.getObject({ handle: "not-a-handle" }));
    assert.deepEqual([garbage.code, garbage.rawMessage], [Code.InvalidArgument, "handle: is not a presignd handle"]);
    const mixed = await refusal(suite.client.service.getObject({ handle, key: "a/b" }));
    assert.deepEqual(
      [mixed.code, mixed.rawMessage],
      [Code.InvalidArgument, "only one of key, handle can be set [message.oneof]"],
    );
    const none = await refusal(suite.client.service.createHandle({ key: "a/b" }));
    assert.match(none.rawMessage, /^operations: must contain at least 1 item\(s\) \[repeated\.min_items\]$/);
  });

  it("an expired handle is FAILED_PRECONDITION", async () => {
    const { handle } = await suite.client.service.createHandle({
      key: "a/b",
      operations: [Operation.GET],
      expiresIn: { seconds: 1n },
      kind: HandleKind.SEALED,
    });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const error = await refusal(suite.client.service.getObject({ handle }));
    assert.equal(error.code, Code.FailedPrecondition);
    assert.match(error.rawMessage, /^handle: expired at /);
  });
});

describe("handles under a policy", () => {
  let server: TestServer;
  let path: string;
  const k1 = randomBytes(32).toString("base64");
  const k2 = randomBytes(32).toString("base64");
  const policy = (keys: string) => homePolicy({ rule: "    max_content_length: 100\n", rest: keys });
  const as = (key: string) => connectPresignd({ baseUrl: server.url, headers: { "x-api-key": key } });
  before(async () => {
    path = await writePolicy(policy(`handles:\n  keys:\n    - kid: k1\n      secret_base64: "${k1}"\n`));
    // No handle store: sealed handles are the default.
    server = await startTestServer({ policy: path, handleStore: "" });
  });
  after(() => server.close());

  it("bob may use alice's handle, as alice may, within alice's rule", async () => {
    const { handle } = await as(KEYS.alice).service.createHandle({
      key: "users/alice/doc.txt",
      operations: [Operation.GET, Operation.PUT],
    });
    const get = await as(KEYS.bob).service.getObject({ handle });
    assert.match(get.url, /\/dev\/users\/alice\/doc\.txt\?/);
    const big = await refusal(as(KEYS.bob).service.putObject({ handle, contentLength: 200n }));
    assert.deepEqual(
      [big.code, big.rawMessage],
      [Code.PermissionDenied, 'permission denied: rule "home": content length above 100 bytes'],
    );
    assert.ok(
      server.logs.some(
        (l) => l.audit === true && l.principal === "bob" && l.on_behalf_of === "alice" && l.decision === "allow",
      ),
    );
  });

  it("nobody mints a handle for what they may not do", async () => {
    const error = await refusal(
      as(KEYS.alice).service.createHandle({ key: "users/bob/x", operations: [Operation.GET] }),
    );
    assert.equal(error.code, Code.PermissionDenied);
  });

  it("keys rotate by kid: old handles open until their key is dropped", async () => {
    const { handle } = await as(KEYS.alice).service.createHandle({
      key: "users/alice/r.txt",
      operations: [Operation.GET],
    });
    await writeFile(
      path,
      policy(
        `handles:\n  keys:\n    - kid: k2\n      secret_base64: "${k2}"\n    - kid: k1\n      secret_base64: "${k1}"\n`,
      ),
    );
    await server.reloadPolicy?.();
    await as(KEYS.alice).service.getObject({ handle });
    const fresh = await as(KEYS.alice).service.createHandle({ key: "users/alice/r.txt", operations: [Operation.GET] });
    assert.equal(JSON.parse(Buffer.from(fresh.handle.split(".")[0] ?? "", "base64url").toString()).kid, "k2");
    await writeFile(path, policy(`handles:\n  keys:\n    - kid: k2\n      secret_base64: "${k2}"\n`));
    await server.reloadPolicy?.();
    const old = await refusal(as(KEYS.alice).service.getObject({ handle }));
    assert.match(old.rawMessage, /^handle: was sealed with a key this server no longer has/);
    await as(KEYS.alice).service.getObject({ handle: fresh.handle });
  });

  it("without handle keys in the policy, CreateHandle is FAILED_PRECONDITION", async () => {
    await writeFile(path, policy(""));
    await server.reloadPolicy?.();
    const error = await refusal(
      as(KEYS.alice).service.createHandle({ key: "users/alice/x", operations: [Operation.GET] }),
    );
    assert.deepEqual(
      [error.code, error.rawMessage],
      [
        Code.FailedPrecondition,
        "handles are not configured: start the server with --handle-store, or add handles.keys to the policy file",
      ],
    );
  });
});
