import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { Code } from "@connectrpc/connect";
import { connectPresignd } from "../../src/cli/node-client.js";
import { ConfirmedAgainst, HandleKind, Operation } from "../../src/gen/presign/v1/presign_pb.js";
import { DEV_CREDENTIALS } from "../../src/server/s3/dev-s3.js";
import { devS3MultipartUploads } from "../../src/server/transport/connect-patches/s3rver-abort-multipart.js";
import { homePolicy, KEYS, writePolicy } from "../support/policy.js";
import { scrape, series } from "../support/prometheus-text.js";
import { refusal } from "../support/refusal.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const MiB = 1024 * 1024;

const policy = homePolicy({
  operations: ["get", "put", "post", "multipart", "confirm"],
  rule: `    max_content_length: ${8 * MiB}\n`,
  rest: `  - name: bob-uploads-only
    principals: ["key:bob"]
    operations: [put]
    buckets: [dev]
    keys: ["shared/*"]
handles:
  keys:
    - kid: test
      secret_base64: "${Buffer.alloc(32, 7).toString("base64")}"
`,
});

/** Sends a presigned request as a caller would. */
async function send(
  request: { url: string; method: string; headers: Record<string, string> } | undefined,
  body?: Uint8Array,
) {
  assert.ok(request, "a presigned request");
  const response = await fetch(request.url, {
    method: request.method,
    headers: request.headers,
    ...(body ? { body: new Blob([new Uint8Array(body)]) } : {}),
  });
  assert.ok(response.ok, `S3 answered ${response.status}: ${await response.clone().text()}`);
  return response;
}

describe("ConfirmUpload", () => {
  let server: TestServer;
  let s3: S3Client;
  const as = (key: string) => connectPresignd({ baseUrl: server.url, headers: { "x-api-key": key } }).service;
  const hello = new TextEncoder().encode("hello world");
  const md5 = createHash("md5").update(hello).digest("base64");

  before(async () => {
    server = await startTestServer({ policy: await writePolicy(policy), reapInterval: "1s" });
    s3 = new S3Client({
      endpoint: server.devS3Endpoint ?? "",
      region: "us-east-1",
      forcePathStyle: true,
      credentials: DEV_CREDENTIALS,
    });
  });
  after(async () => {
    s3.destroy();
    await server.close();
  });

  it("verifies an uploaded object against what was signed for it", async () => {
    const key = "users/alice/hello.txt";
    const put = await as(KEYS.alice).putObject({
      key,
      contentLength: BigInt(hello.length),
      contentType: "text/plain",
      contentMd5: md5,
      metadata: { owner: "alice" },
    });
    await send(put, hello);
    const confirmed = await as(KEYS.alice).confirmUpload({ key });
    assert.equal(confirmed.against, ConfirmedAgainst.SIGNED);
    assert.equal(confirmed.object?.size, BigInt(hello.length));
    assert.equal(confirmed.object?.contentType, "text/plain");
    assert.deepEqual(confirmed.object?.metadata, { owner: "alice" });
    assert.equal(confirmed.object?.etag, `"${createHash("md5").update(hello).digest("hex")}"`);
    assert.equal(confirmed.object?.bucket, "dev");
    assert.equal(confirmed.object?.key, key);
    assert.ok(confirmed.object?.lastModified, "last modified");
    assert.deepEqual(
      [...confirmed.verified].sort(),
      ["content_length", "content_md5", "content_type", "metadata.owner"].sort(),
    );
    assert.deepEqual(confirmed.unverified, []);
    const audit = server.logs.find((l) => l.audit === true && l.operation === "confirm");
    assert.equal(audit?.decision, "allow");
  });

  it("checks the caller's expectations too, naming the property that differs", async () => {
    const key = "users/alice/expect.txt";
    await send(await as(KEYS.alice).putObject({ key, contentLength: BigInt(hello.length) }), hello);
    const ok = await as(KEYS.alice).confirmUpload({
      key,
      expect: { contentLength: BigInt(hello.length), contentMd5: md5 },
    });
    assert.ok(ok.verified.includes("content_md5"));
    const wrongSize = await refusal(as(KEYS.alice).confirmUpload({ key, expect: { contentLength: 12n } }));
    assert.equal(wrongSize.code, Code.FailedPrecondition);
    assert.equal(wrongSize.rawMessage, "content_length: the object has 11 bytes, not 12 (expected)");
    const wrongMeta = await refusal(as(KEYS.alice).confirmUpload({ key, expect: { metadata: { owner: "bob" } } }));
    assert.equal(wrongMeta.code, Code.FailedPrecondition);
    assert.equal(wrongMeta.rawMessage, "metadata.owner: the object has no such metadata (expected)");
  });

  it("refuses an object that is not what was signed (overwritten behind presignd's back)", async () => {
    const key = "users/alice/swapped.bin";
    await as(KEYS.alice).putObject({ key, contentLength: 5n, contentType: "application/octet-stream" });
    await s3.send(
      new PutObjectCommand({ Bucket: "dev", Key: key, Body: hello, ContentType: "application/octet-stream" }),
    );
    const swapped = await refusal(as(KEYS.alice).confirmUpload({ key }));
    assert.equal(swapped.code, Code.FailedPrecondition);
    assert.equal(swapped.rawMessage, "content_length: the object has 11 bytes, not 5 (signed)");
  });

  it("without a record, checks the caller's expectations and the rule's conditions", async () => {
    const key = "users/alice/unsigned.bin";
    await s3.send(new PutObjectCommand({ Bucket: "dev", Key: key, Body: hello }));
    const confirmed = await as(KEYS.alice).confirmUpload({ key, expect: { contentLength: 11n } });
    assert.equal(confirmed.against, ConfirmedAgainst.EXPECTATIONS);
    const big = "users/alice/too-big.bin";
    await s3.send(new PutObjectCommand({ Bucket: "dev", Key: big, Body: new Uint8Array(8 * MiB + 1) }));
    const tooBig = await refusal(as(KEYS.alice).confirmUpload({ key: big }));
    assert.equal(tooBig.code, Code.FailedPrecondition);
    assert.equal(tooBig.rawMessage, `the object does not meet the policy: content length above ${8 * MiB} bytes`);
  });

  it("answers NOT_FOUND for an object not uploaded yet", async () => {
    await as(KEYS.alice).putObject({ key: "users/alice/later.txt", contentLength: 3n });
    const missing = await refusal(as(KEYS.alice).confirmUpload({ key: "users/alice/later.txt" }));
    assert.equal(missing.code, Code.NotFound);
    assert.equal(missing.rawMessage, 'key: no such object in bucket "dev" (not uploaded yet, or removed)');
  });

  it("is decided by the policy: `confirm` on the key", async () => {
    const other = await refusal(as(KEYS.bob).confirmUpload({ key: "users/alice/hello.txt" }));
    assert.equal(other.code, Code.PermissionDenied);
    const noConfirm = await refusal(as(KEYS.bob).confirmUpload({ key: "shared/x" }));
    assert.equal(noConfirm.code, Code.PermissionDenied);
    assert.match(noConfirm.rawMessage, /no rule allows key:bob to confirm this key in bucket "dev"/);
  });

  it("confirms through a handle that allows the upload", async () => {
    const { handle } = await as(KEYS.alice).createHandle({
      key: "users/alice/by-handle.txt",
      operations: [Operation.PUT],
      kind: HandleKind.STORED,
    });
    await send(await as(KEYS.bob).putObject({ handle, contentLength: BigInt(hello.length) }), hello);
    const confirmed = await as(KEYS.bob).confirmUpload({ handle });
    assert.equal(confirmed.against, ConfirmedAgainst.SIGNED);
    assert.equal(confirmed.object?.key, "users/alice/by-handle.txt");
    const { handle: readOnly } = await as(KEYS.alice).createHandle({
      key: "users/alice/by-handle.txt",
      operations: [Operation.GET],
    });
    const refused = await refusal(as(KEYS.bob).confirmUpload({ handle: readOnly }));
    assert.equal(refused.code, Code.PermissionDenied);
    assert.equal(refused.rawMessage, "permission denied: the handle does not allow confirm");
  });

  it("refuses bad input naming the field", async () => {
    const cases: [Record<string, unknown>, Code, RegExp][] = [
      [{}, Code.InvalidArgument, /^key: is required \(or handle, or upload_token\)$/],
      [{ key: "users/alice/a", expect: { contentMd5: "not base64" } }, Code.InvalidArgument, /^expect\.content_md5: /],
      [{ key: "users/alice/a", expect: { contentType: "no type" } }, Code.InvalidArgument, /^expect\.content_type: /],
      [
        { key: "users/alice/a", expect: { metadata: { "Bad Name": "x" } } },
        Code.InvalidArgument,
        /^expect\.metadata\[/,
      ],
      [{ key: "users/alice/a", uploadToken: "x" }, Code.InvalidArgument, /only one of key, handle, upload_token/],
      [{ key: "users/alice/a", expect: { contentLength: -1n } }, Code.InvalidArgument, /expect\.content_length/],
      [{ uploadToken: "garbage" }, Code.InvalidArgument, /^upload_token: /],
    ];
    for (const [request, code, message] of cases) {
      const error = await refusal(as(KEYS.alice).confirmUpload(request));
      assert.equal(
        error.code,
        code,
        JSON.stringify(request, (_k, v) => (typeof v === "bigint" ? String(v) : v)),
      );
      assert.match(error.rawMessage, message);
    }
  });

  it("confirms a multipart upload by its token, and counts it completed", async () => {
    const key = "users/alice/multi.bin";
    const upload = await as(KEYS.alice).createMultipartUpload({
      key,
      maxSize: BigInt(6 * MiB),
      partSize: BigInt(5 * MiB),
    });
    const part = new Uint8Array(5 * MiB).fill(1);
    const { parts } = await as(KEYS.alice).presignUploadParts({
      uploadToken: upload.uploadToken,
      parts: [{ partNumber: 1, contentLength: BigInt(part.length) }],
    });
    const etag = (await send(parts[0]?.request, part)).headers.get("etag");
    const complete = await as(KEYS.alice).completeMultipartUpload({ uploadToken: upload.uploadToken });
    await send(
      complete,
      new TextEncoder().encode(
        `<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>${etag}</ETag></Part></CompleteMultipartUpload>`,
      ),
    );
    const before = series(await scrape(server.metricsUrl ?? ""), "presignd_multipart_uploads_total");
    const confirmed = await as(KEYS.alice).confirmUpload({ uploadToken: upload.uploadToken });
    assert.equal(confirmed.against, ConfirmedAgainst.SIGNED);
    assert.equal(confirmed.object?.size, BigInt(5 * MiB));
    const afterwards = series(await scrape(server.metricsUrl ?? ""), "presignd_multipart_uploads_total");
    assert.equal(afterwards["event=completed"], (before["event=completed"] ?? 0) + 1);
    // Another caller cannot use the token.
    const stolen = await refusal(as(KEYS.bob).confirmUpload({ uploadToken: upload.uploadToken }));
    assert.equal(stolen.code, Code.PermissionDenied);
  });

  it("the reaper aborts a multipart upload whose token expired, and keeps one within its token", async () => {
    const expiring = await as(KEYS.alice).createMultipartUpload({
      key: "users/alice/abandoned.bin",
      maxSize: BigInt(6 * MiB),
      expiresIn: { seconds: 3n },
    });
    const kept = await as(KEYS.alice).createMultipartUpload({ key: "users/alice/kept.bin", maxSize: BigInt(6 * MiB) });
    const reaped = async () =>
      series(await scrape(server.metricsUrl ?? ""), "presignd_multipart_uploads_total")["event=reaped"] ?? 0;
    const start = await reaped();
    const deadline = Date.now() + 10_000;
    while ((await reaped()) === start && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    assert.equal(await reaped(), start + 1, "one upload reaped");
    // What the embedded S3 still holds: the kept upload's parts, not the abandoned one's.
    const held = (await devS3MultipartUploads(server.dataDir, "dev")).map((u) => u.uploadId);
    assert.ok(!held.includes(expiring.uploadId), "the reaped upload is gone at S3");
    assert.ok(held.includes(kept.uploadId), "the upload within its token is kept");
    assert.ok(
      server.logs.some((l) => l.msg === "multipart reaper ran" && l.reaped === 1),
      "the reaper logs what it did",
    );
  });
});
