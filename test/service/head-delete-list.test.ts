import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { connectPresignd, type NodePresignClient } from "../../src/cli/node-client.js";
import { HandleKind, Operation } from "../../src/gen/presign/v1/presign_pb.js";
import { KEYS, sha256, writePolicy } from "../support/policy.js";
import { refusal } from "../support/refusal.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// "home" has write conditions that must not apply to head, delete and list;
// "readers" lets bob get (only get) under shared/; "inventory" lets alice
// list the whole bucket.
const POLICY = `principals:
  - name: alice
    api_key_sha256: ["${sha256(KEYS.alice)}"]
  - name: bob
    api_key_sha256: ["${sha256(KEYS.bob)}"]
rules:
  - name: home
    principals: ["*"]
    operations: [get, put, head, delete, list]
    buckets: [dev]
    keys: ["users/\${sub}/*"]
    max_content_length: 100
    content_types: ["text/*"]
    required_metadata: [owner]
  - name: readers
    principals: ["key:bob"]
    operations: [get]
    buckets: [dev]
    keys: ["shared/*"]
  - name: inventory
    principals: ["key:alice"]
    operations: [list]
    buckets: [dev]
    keys: ["*"]
handles:
  keys:
    - kid: k1
      secret_base64: "${randomBytes(32).toString("base64")}"
`;

describe("HeadObject, DeleteObject and ListObjects under a policy", () => {
  let server: TestServer;
  const as = (key: string): NodePresignClient =>
    connectPresignd({ baseUrl: server.url, headers: { "x-api-key": key } });
  const alice = () => as(KEYS.alice);
  const bob = () => as(KEYS.bob);
  before(async () => {
    server = await startTestServer({ policy: await writePolicy(POLICY), handleStore: "" });
  });
  after(() => server.close());

  async function refused(call: Promise<unknown>, code: Code, message: RegExp | string): Promise<void> {
    const error = await refusal(call);
    assert.equal(Code[error.code], Code[code], error.rawMessage);
    if (typeof message === "string") assert.equal(error.rawMessage, message);
    else assert.match(error.rawMessage, message);
  }
  const query = (url: string) => Object.fromEntries(new URL(url).searchParams);

  it("signs HEAD and DELETE of the caller's own keys; write conditions do not apply", async () => {
    const head = await alice().service.headObject({ key: "users/alice/a.txt", versionId: "v1" });
    assert.equal(head.method, "HEAD");
    assert.match(head.url, /\/dev\/users\/alice\/a\.txt\?/);
    assert.equal(query(head.url).versionId, "v1");
    assert.deepEqual(head.headers, {});
    const del = await alice().service.deleteObject({ key: "users/alice/a.txt" });
    assert.equal(del.method, "DELETE");
    assert.equal(query(del.url)["x-id"], "DeleteObject");
    assert.equal(query(del.url).versionId, undefined);
  });

  it("signs ListObjectsV2 with its prefix, delimiter and paging in the query", async () => {
    const list = await alice().service.listObjects({
      prefix: "users/alice/photos/",
      delimiter: "/",
      maxKeys: 10,
      startAfter: "users/alice/photos/2024",
      continuationToken: "1/abc==",
      expiresIn: { seconds: 60n },
    });
    assert.equal(list.method, "GET");
    assert.match(list.url, /\/dev\?/);
    const q = query(list.url);
    assert.deepEqual(
      [q["list-type"], q.prefix, q.delimiter, q["max-keys"], q["start-after"], q["continuation-token"]],
      ["2", "users/alice/photos/", "/", "10", "users/alice/photos/2024", "1/abc=="],
    );
    assert.equal(q["X-Amz-Expires"], "60");
    // Unset parameters are not sent, but the prefix always is (signed, also when empty).
    const whole = query((await alice().service.listObjects({})).url);
    assert.deepEqual([whole.prefix, whole.delimiter, whole["max-keys"]], ["", undefined, undefined]);
  });

  it("a rule without head, delete or list denies them", async () => {
    await refused(
      bob().service.headObject({ key: "shared/x" }),
      Code.PermissionDenied,
      'permission denied: no rule allows key:bob to head this key in bucket "dev"',
    );
    await refused(
      bob().service.deleteObject({ key: "shared/x" }),
      Code.PermissionDenied,
      'permission denied: no rule allows key:bob to delete this key in bucket "dev"',
    );
    await refused(
      bob().service.listObjects({ prefix: "shared/" }),
      Code.PermissionDenied,
      'permission denied: no rule allows key:bob to list under this prefix in bucket "dev"',
    );
    // and get stays allowed
    await bob().service.getObject({ key: "shared/x" });
  });

  it("a list prefix must lie within a rule's key template", async () => {
    for (const prefix of ["users/bob/", "users/bob/deeper/"]) await bob().service.listObjects({ prefix });
    for (const prefix of ["users/bob", "users/", "users/alice/", "u", ""]) {
      await refused(bob().service.listObjects({ prefix }), Code.PermissionDenied, /no rule allows key:bob to list/);
    }
    await refused(bob().service.listObjects({ prefix: "users/bob//" }), Code.PermissionDenied, /not in normal form/);
    await refused(
      bob().service.listObjects({ prefix: "users/bob/../alice/" }),
      Code.InvalidArgument,
      /^prefix: must not contain a "\.\." path segment/,
    );
    // The whole bucket only by a "*" rule: alice's inventory.
    const whole = await alice().service.listObjects({ prefix: "" });
    assert.equal(query(whole.url).prefix, "");
  });

  it("the NFC form a templated rule matched is the prefix signed", async () => {
    const subject = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.alice } });
    const list = await subject.service.listObjects({ prefix: "users/alice/Zoe\u0308/" });
    assert.equal(query(list.url).prefix, "users/alice/Zo\u00eb/");
  });

  it("audits every allowed head, delete and list", async () => {
    await alice().service.headObject({ key: "users/alice/audit.txt" });
    await alice().service.deleteObject({ key: "users/alice/audit.txt" });
    await alice().service.listObjects({ prefix: "users/alice/audit/" });
    for (const [operation, key] of [
      ["head", "users/alice/audit.txt"],
      ["delete", "users/alice/audit.txt"],
      ["list", "users/alice/audit/"],
    ]) {
      assert.ok(
        server.logs.some(
          (l) =>
            l.audit === true &&
            l.decision === "allow" &&
            l.operation === operation &&
            l.key === key &&
            l.rule === "home",
        ),
        `${operation} audited`,
      );
    }
    assert.ok(server.logs.some((l) => l.audit === true && l.decision === "deny" && l.operation === "list"));
  });

  describe("handles", () => {
    it("a handle may carry head and delete, used as its minter may", async () => {
      const { handle } = await alice().service.createHandle({
        key: "users/alice/h.txt",
        operations: [Operation.HEAD, Operation.DELETE],
        kind: HandleKind.SEALED,
      });
      const head = await bob().service.headObject({ handle });
      assert.equal(head.method, "HEAD");
      assert.match(head.url, /\/dev\/users\/alice\/h\.txt\?/);
      const del = await bob().service.deleteObject({ handle });
      assert.equal(del.method, "DELETE");
      assert.match(del.url, /\/dev\/users\/alice\/h\.txt\?/);
      await refused(
        bob().service.getObject({ handle }),
        Code.PermissionDenied,
        "permission denied: the handle does not allow get",
      );
    });
    it("a handle without delete does not delete, and nobody mints one for a key they may not delete", async () => {
      const { handle } = await alice().service.createHandle({
        key: "users/alice/h.txt",
        operations: [Operation.GET],
        kind: HandleKind.SEALED,
      });
      await refused(
        bob().service.deleteObject({ handle }),
        Code.PermissionDenied,
        "permission denied: the handle does not allow delete",
      );
      await refused(
        bob().service.createHandle({ key: "shared/x", operations: [Operation.DELETE] }),
        Code.PermissionDenied,
        'permission denied: no rule allows key:bob to delete this key in bucket "dev"',
      );
      await refused(
        alice().service.headObject({ handle, key: "users/alice/h.txt" }),
        Code.InvalidArgument,
        "only one of key, handle can be set [message.oneof]",
      );
    });
  });

  describe("batch forms", () => {
    it("BatchHeadObject and BatchDeleteObject presign every request in order", async () => {
      const heads = await alice().service.batchHeadObject({
        requests: [{ key: "users/alice/1" }, { key: "users/alice/2", versionId: "v2" }],
      });
      assert.deepEqual(
        heads.requests.map((r) => [r.method, new URL(r.url).pathname]),
        [
          ["HEAD", "/dev/users/alice/1"],
          ["HEAD", "/dev/users/alice/2"],
        ],
      );
      const dels = await alice().service.batchDeleteObject({
        requests: [{ key: "users/alice/1" }, { key: "users/alice/2" }, { key: "users/alice/3" }],
      });
      assert.deepEqual(
        dels.requests.map((r) => r.method),
        ["DELETE", "DELETE", "DELETE"],
      );
    });
    it("all or nothing: a refusal names its index", async () => {
      await refused(
        alice().service.batchDeleteObject({ requests: [{ key: "users/alice/1" }, { key: "users/bob/2" }] }),
        Code.PermissionDenied,
        'requests[1]: permission denied: no rule allows key:alice to delete this key in bucket "dev"',
      );
      await refused(
        alice().service.batchHeadObject({
          requests: [{ key: "users/alice/1" }, { key: "users/alice/2" }, { key: "users/alice/2", versionId: "a b" }],
        }),
        Code.InvalidArgument,
        /^requests\[2\]\.version_id: must be 1 to 1024 printable ASCII characters/,
      );
    });
    it("1 to 1000 requests", async () => {
      await refused(
        alice().service.batchDeleteObject({ requests: [] }),
        Code.InvalidArgument,
        /^requests: must contain at least 1 item\(s\) \[repeated\.min_items\]$/,
      );
      await refused(
        alice().service.batchHeadObject({
          requests: Array.from({ length: 1001 }, (_, i) => ({ key: `users/alice/${i}` })),
        }),
        Code.InvalidArgument,
        /^requests: must contain no more than 1000 item\(s\) \[repeated\.max_items\]$/,
      );
    });
  });
});
