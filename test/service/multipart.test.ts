import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { connectPresignd } from "../../src/cli/node-client.js";
import { HandleKind, Operation } from "../../src/gen/presign/v1/presign_pb.js";
import { homePolicy, KEYS, writePolicy } from "../support/policy.js";
import { refusal } from "../support/refusal.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const MiB = 1024n * 1024n;

const policy = (multipart = true) =>
  homePolicy({
    operations: ["get", "put", ...(multipart ? ["multipart"] : [])],
    rule: `    max_content_length: ${100n * MiB}\n    content_types: ["video/*"]\n`,
    rest: `handles:\n  keys:\n    - kid: test\n      secret_base64: "${Buffer.alloc(32, 7).toString("base64")}"\n`,
  });

describe("multipart upload RPCs", () => {
  let server: TestServer;
  let path: string;
  const as = (key: string) => connectPresignd({ baseUrl: server.url, headers: { "x-api-key": key } }).service;
  const create = (key = KEYS.alice, extra: Record<string, unknown> = {}) =>
    as(key).createMultipartUpload({
      key: "users/alice/movie.mp4",
      maxSize: 20n * MiB,
      partSize: 5n * MiB,
      contentType: "video/mp4",
      ...extra,
    });

  before(async () => {
    path = await writePolicy(policy());
    server = await startTestServer({ policy: path });
  });
  after(() => server.close());

  it("creates an upload and presigns each part's exact length within the token's life", async () => {
    const upload = await create(KEYS.alice, { expiresIn: { seconds: 120n } });
    assert.equal(upload.partSize, 5n * MiB);
    assert.equal(upload.maxParts, 4);
    assert.ok(upload.uploadId.length > 0);
    assert.ok(!upload.uploadToken.includes("movie"), "the token shows nothing of the key");
    const { parts } = await as(KEYS.alice).presignUploadParts({
      uploadToken: upload.uploadToken,
      parts: [
        { partNumber: 1, contentLength: 5n * MiB },
        { partNumber: 4, contentLength: 5n * MiB, contentMd5: "1B2M2Y8AsgTpgAmY7PhCfg==" },
      ],
      expiresIn: { seconds: 3600n },
    });
    assert.deepEqual(
      parts.map((p) => p.partNumber),
      [1, 4],
    );
    const url = new URL(parts[0]?.request?.url ?? "");
    assert.equal(url.searchParams.get("partNumber"), "1");
    assert.equal(url.searchParams.get("uploadId"), upload.uploadId);
    assert.match(url.pathname, /\/dev\/users\/alice\/movie\.mp4$/);
    assert.deepEqual(parts[0]?.request?.headers, { "content-length": String(5n * MiB) });
    assert.deepEqual(parts[1]?.request?.headers, {
      "content-length": String(5n * MiB),
      "content-md5": "1B2M2Y8AsgTpgAmY7PhCfg==",
    });
    // A URL never outlives the token (asked for 1 h, the token has 2 min).
    assert.ok(Number(url.searchParams.get("X-Amz-Expires")) <= 120);
    for (const [call, method, query] of [
      [as(KEYS.alice).listParts({ uploadToken: upload.uploadToken, partNumberMarker: 2 }), "GET", "part-number-marker"],
      [as(KEYS.alice).completeMultipartUpload({ uploadToken: upload.uploadToken }), "POST", "uploadId"],
      [as(KEYS.alice).abortMultipartUpload({ uploadToken: upload.uploadToken }), "DELETE", "uploadId"],
    ] as const) {
      const presigned = await call;
      assert.equal(presigned.method, method);
      assert.ok(new URL(presigned.url).searchParams.has(query), `${method} ${query}`);
      assert.equal(new URL(presigned.url).searchParams.get("uploadId"), upload.uploadId);
    }
  });

  it("nobody else may use the token: parts, list, complete and abort are refused", async () => {
    const { uploadToken } = await create();
    const bob = as(KEYS.bob);
    for (const call of [
      bob.presignUploadParts({ uploadToken, parts: [{ partNumber: 1, contentLength: 1n }] }),
      bob.listParts({ uploadToken }),
      bob.completeMultipartUpload({ uploadToken }),
      bob.abortMultipartUpload({ uploadToken }),
    ]) {
      const error = await refusal(call);
      assert.deepEqual(
        [error.code, error.rawMessage],
        [Code.PermissionDenied, "permission denied: the upload belongs to another caller"],
      );
    }
  });

  it("refuses altered tokens, handles posing as tokens and tokens posing as handles", async () => {
    const { uploadToken } = await create();
    const parts = uploadToken.split(".");
    const body = parts[3] ?? "";
    parts[3] = (body[0] === "A" ? "B" : "A") + body.slice(1);
    const altered = await refusal(as(KEYS.alice).completeMultipartUpload({ uploadToken: parts.join(".") }));
    assert.deepEqual(
      [altered.code, altered.rawMessage],
      [Code.InvalidArgument, "upload_token: is not a valid upload token (altered or corrupted)"],
    );
    const { handle } = await as(KEYS.alice)
      .createHandle({
        key: "users/alice/x",
        operations: [Operation.GET],
        kind: HandleKind.SEALED,
      })
      .catch(() => ({ handle: "" }));
    if (handle) {
      const crossed = await refusal(as(KEYS.alice).completeMultipartUpload({ uploadToken: handle }));
      assert.equal(crossed.rawMessage, "upload_token: is not a presignd upload token");
    }
    const asHandle = await refusal(as(KEYS.alice).getObject({ handle: uploadToken }));
    assert.equal(asHandle.rawMessage, "handle: is not a presignd handle");
    const empty = await refusal(as(KEYS.alice).listParts({ uploadToken: "" }));
    assert.equal(empty.code, Code.InvalidArgument);
    assert.match(empty.rawMessage, /^upload_token: /);
  });

  it("keeps every part inside the layout, so the object cannot exceed max_size", async () => {
    const upload = await create(KEYS.alice, { maxSize: 12n * MiB, partSize: 5n * MiB });
    assert.equal(upload.maxParts, 3);
    const sign = (parts: { partNumber: number; contentLength: bigint }[]) =>
      refusal(as(KEYS.alice).presignUploadParts({ uploadToken: upload.uploadToken, parts }));
    const cases: [string, { partNumber: number; contentLength: bigint }[], RegExp][] = [
      [
        "part 4 of 3",
        [{ partNumber: 4, contentLength: 1n }],
        /^parts\[0\]\.part_number: must be 1 to 3 for this upload/,
      ],
      [
        "part 0",
        [{ partNumber: 0, contentLength: 1n }],
        /^parts\[0\]\.part_number: must be greater than or equal to 1/,
      ],
      [
        "a part above part_size",
        [{ partNumber: 1, contentLength: 5n * MiB + 1n }],
        /^parts\[0\]\.content_length: must be 1 to 5242880 bytes for part 1/,
      ],
      [
        "the last part beyond max_size",
        [{ partNumber: 3, contentLength: 2n * MiB + 1n }],
        /^parts\[0\]\.content_length: must be 1 to 2097152 bytes for part 3/,
      ],
      [
        "a part listed twice",
        [
          { partNumber: 2, contentLength: 1n },
          { partNumber: 2, contentLength: 1n },
        ],
        /^parts\[1\]\.part_number: 2 is listed twice$/,
      ],
      ["no parts", [], /^parts: must contain at least 1 item/],
    ];
    for (const [what, parts, message] of cases) {
      const error = await sign(parts);
      assert.equal(error.code, Code.InvalidArgument, what);
      assert.match(error.rawMessage, message, what);
    }
    await as(KEYS.alice).presignUploadParts({
      uploadToken: upload.uploadToken,
      parts: [{ partNumber: 3, contentLength: 2n * MiB }],
    });
  });

  it("validates sizes at creation and applies the caller's rule", async () => {
    const cases: [string, Record<string, unknown>, Code, RegExp][] = [
      ["no max_size", { maxSize: 0n }, Code.InvalidArgument, /^max_size: must be greater than 0/],
      ["max_size over 5 TiB", { maxSize: 5n * 1024n ** 4n + 1n }, Code.InvalidArgument, /^max_size: /],
      ["part_size below 5 MiB", { partSize: MiB }, Code.InvalidArgument, /^part_size: must be 5 MiB/],
      [
        "more than 10,000 parts",
        { maxSize: 60_000n * MiB, partSize: 5n * MiB },
        Code.InvalidArgument,
        /^part_size: 5242880 bytes would need 12000 parts/,
      ],
      [
        "above the rule's max_content_length",
        { maxSize: 101n * MiB },
        Code.PermissionDenied,
        /^permission denied: rule "home": content length above 104857600 bytes$/,
      ],
      ["another caller's prefix", { key: "users/bob/movie.mp4" }, Code.PermissionDenied, /^permission denied/],
      ["a type the rule does not allow", { contentType: "text/plain" }, Code.PermissionDenied, /content type/],
      ["a bad key", { key: "users/alice/../bob/x" }, Code.InvalidArgument, /^key: /],
    ];
    for (const [what, extra, code, message] of cases) {
      const error = await refusal(create(KEYS.alice, extra));
      assert.equal(error.code, code, `${what}: ${error.rawMessage}`);
      assert.match(error.rawMessage, message, what);
    }
  });

  it("a policy reload that withdraws multipart stops an upload already under way", async () => {
    const { uploadToken } = await create();
    await writeFile(path, policy(false));
    await server.reloadPolicy?.();
    try {
      const error = await refusal(
        as(KEYS.alice).presignUploadParts({ uploadToken, parts: [{ partNumber: 1, contentLength: 1n }] }),
      );
      assert.equal(error.code, Code.PermissionDenied);
      const audit = server.logs.filter((l) => l.audit === true && l.operation === "upload_part").at(-1);
      assert.equal(audit?.decision, "deny");
    } finally {
      await writeFile(path, policy());
      await server.reloadPolicy?.();
    }
  });

  it("an expired token is FAILED_PRECONDITION", async () => {
    const { uploadToken } = await create(KEYS.alice, { expiresIn: { seconds: 1n } });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const error = await refusal(as(KEYS.alice).completeMultipartUpload({ uploadToken }));
    assert.equal(error.code, Code.FailedPrecondition);
    assert.match(error.rawMessage, /^upload_token: expired at /);
  });
});

describe("batch presign RPCs", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ policy: await writePolicy(policy()) });
  });
  after(() => server.close());
  const alice = () => connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.alice } }).service;

  it("presigns 1,000 GETs in one call, in order, each audited", async () => {
    const before = server.logs.filter((l) => l.audit === true).length;
    const keys = Array.from({ length: 1000 }, (_, i) => `users/alice/${i}.txt`);
    const { requests } = await alice().batchGetObject({ requests: keys.map((key) => ({ key })) });
    assert.equal(requests.length, 1000);
    for (const [i, r] of requests.entries()) assert.match(r.url, new RegExp(`/dev/users/alice/${i}\\.txt\\?`));
    assert.equal(server.logs.filter((l) => l.audit === true).length - before, 1000);
  });

  it("refuses 1,001, and names the index of the first refused item", async () => {
    const tooMany = await refusal(
      alice().batchGetObject({ requests: Array.from({ length: 1001 }, (_, i) => ({ key: `users/alice/${i}` })) }),
    );
    assert.equal(tooMany.code, Code.InvalidArgument);
    assert.match(tooMany.rawMessage, /^requests: must contain no more than 1000 item/);
    const denied = await refusal(
      alice().batchPutObject({
        requests: [
          { key: "users/alice/a", contentLength: 1n, contentType: "video/mp4" },
          { key: "users/bob/b", contentLength: 1n, contentType: "video/mp4" },
        ],
      }),
    );
    assert.equal(denied.code, Code.PermissionDenied);
    assert.match(denied.rawMessage, /^requests\[1\]: permission denied/);
    const invalid = await refusal(
      alice().batchPutObject({
        requests: [
          { key: "users/alice/a", contentLength: 1n, contentType: "video/mp4" },
          { key: "users/alice/b", contentLength: 1n, contentType: "video/mp4", contentMd5: "nope" },
        ],
      }),
    );
    assert.equal(invalid.code, Code.InvalidArgument);
    assert.match(invalid.rawMessage, /^requests\[1\]\.content_md5: /);
    const validated = await refusal(
      alice().batchPutObject({ requests: [{ key: "users/alice/a", contentLength: -1n }] }),
    );
    assert.match(validated.rawMessage, /^requests\[0\]\.content_length: must be greater than or equal to 0/);
  });
});
