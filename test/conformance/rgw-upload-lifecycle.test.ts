import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Code } from "@connectrpc/connect";
import { ConfirmedAgainst } from "../../src/gen/presign/v1/presign_pb.js";
import { ALLOW_ALL, writePolicy } from "../support/policy.js";
import { rawRequest } from "../support/raw-http.js";
import { refusal } from "../support/refusal.js";
import { presigndForRgw, type RgwPresignd, rgwFromEnv } from "../support/rgw.js";
import { PRESIGND, run } from "../support/run.js";

const MiB = 1024 * 1024;

describe("upload lifecycle against RGW: ConfirmUpload and the multipart reaper", () => {
  const rgw = rgwFromEnv();
  let p: RgwPresignd;
  let s3: S3Client;
  before(async () => {
    // "generic", not "ceph": the ceph profile refuses a signed checksum RGW 16 would not verify, and this
    // suite shows what ConfirmUpload says of one.
    p = await presigndForRgw(rgw, { handleStore: "memory", reapInterval: "1s", provider: "generic" });
    s3 = new S3Client({ region: "us-east-1", endpoint: rgw.endpoint, forcePathStyle: true });
  });
  after(async () => {
    s3.destroy();
    await p.server.close();
  });

  it("confirms an upload against what was signed, with RGW's own HEAD", async () => {
    const body = randomBytes(1234);
    const result = await p.client.upload("lifecycle/one.bin", body, {
      params: { contentType: "application/x-test", metadata: { owner: "rgw" } },
      confirm: true,
    });
    const confirmed = result.confirmed;
    assert.ok(confirmed, "the result carries the confirmation");
    assert.equal(confirmed.against, "signed");
    assert.equal(confirmed.size, 1234);
    assert.equal(confirmed.contentType, "application/x-test");
    assert.deepEqual(confirmed.metadata, { owner: "rgw" });
    assert.deepEqual([...confirmed.verified].sort(), ["content_length", "content_type", "metadata.owner"]);
  });

  it("says what RGW does not report: a signed SHA-256 it keeps no checksum for", async () => {
    const body = randomBytes(100);
    const checksumSha256 = createHash("sha256").update(body).digest("base64");
    const put = await p.client.service.putObject({ key: "lifecycle/sha.bin", contentLength: 100n, checksumSha256 });
    const res = await rawRequest(put.url, { method: "PUT", headers: put.headers, body });
    assert.equal(res.status, 200, res.body.toString());
    const confirmed = await p.client.service.confirmUpload({ key: "lifecycle/sha.bin" });
    assert.equal(confirmed.against, ConfirmedAgainst.SIGNED);
    // Ceph RGW 16 stores no body checksum: presignd says it could not verify it, and does not claim it did.
    if (confirmed.object?.checksumSha256) {
      assert.equal(confirmed.object.checksumSha256, checksumSha256);
      assert.ok(confirmed.verified.includes("checksum_sha256"));
    } else {
      assert.deepEqual(confirmed.unverified, ["checksum_sha256"]);
      assert.ok(!confirmed.verified.includes("checksum_sha256"));
    }
  });

  it("refuses an object that is not what was signed, and one that is not there", async () => {
    await p.client.service.putObject({ key: "lifecycle/swapped.bin", contentLength: 10n });
    await s3.send(new PutObjectCommand({ Bucket: rgw.bucket, Key: "lifecycle/swapped.bin", Body: "eleven byte" }));
    const swapped = await refusal(p.client.service.confirmUpload({ key: "lifecycle/swapped.bin" }));
    assert.equal(swapped.code, Code.FailedPrecondition);
    assert.equal(swapped.rawMessage, "content_length: the object has 11 bytes, not 10 (signed)");
    const missing = await refusal(p.client.service.confirmUpload({ key: "lifecycle/never-uploaded.bin" }));
    assert.equal(missing.code, Code.NotFound);
  });

  it("confirms a multipart upload", async () => {
    const body = randomBytes(6 * MiB);
    const result = await p.client.upload("lifecycle/multi.bin", body, {
      multipartThreshold: MiB,
      partSize: 5 * MiB,
      confirm: true,
    });
    assert.equal(result.parts, 2);
    assert.equal(result.confirmed?.against, "signed");
    assert.equal(result.confirmed?.size, 6 * MiB);
  });

  it("the reaper aborts uploads past their token: ListMultipartUploads no longer shows them; others are kept", async () => {
    const start = async (key: string, seconds?: bigint) => {
      const upload = await p.client.service.createMultipartUpload({
        key,
        maxSize: BigInt(10 * MiB),
        ...(seconds ? { expiresIn: { seconds } } : {}),
      });
      const { parts } = await p.client.service.presignUploadParts({
        uploadToken: upload.uploadToken,
        parts: [{ partNumber: 1, contentLength: 5n }],
      });
      const put = parts[0]?.request;
      assert.ok(put);
      assert.equal((await rawRequest(put.url, { method: "PUT", headers: put.headers, body: "12345" })).status, 200);
      return upload.uploadId;
    };
    // 5 s: long enough for its part PUT and the listing below on a loaded machine, short enough to wait out.
    const abandoned = await start("lifecycle/reaper/abandoned.bin", 5n);
    const kept = await start("lifecycle/reaper/kept.bin");
    const listed = async () =>
      (
        (await s3.send(new ListMultipartUploadsCommand({ Bucket: rgw.bucket, Prefix: "lifecycle/reaper/" }))).Uploads ??
        []
      ).map((u) => u.UploadId);
    assert.deepEqual((await listed()).sort(), [abandoned, kept].sort(), "both uploads started");
    for (let i = 0; i < 200 && (await listed()).includes(abandoned); i++) await sleep(100);
    assert.deepEqual(await listed(), [kept], "the expired upload was aborted; the live one kept");
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: rgw.bucket, Key: "lifecycle/reaper/kept.bin", UploadId: kept }),
    );
  });
});

describe("presignd uploads list|abort against RGW: the sweep for what the reaper cannot see", () => {
  const rgw = rgwFromEnv();
  let p: RgwPresignd;
  let s3: S3Client;
  let dir: string;
  let args: string[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "presignd-sweep-"));
    const policy = await writePolicy(ALLOW_ALL);
    const store = join(dir, "handles.db");
    p = await presigndForRgw(rgw, { handleStore: store, reapInterval: "0", policy });
    s3 = new S3Client({ region: "us-east-1", endpoint: rgw.endpoint, forcePathStyle: true });
    // The CLI reads serve's settings: the same bucket, endpoint, store and policy.
    args = [
      "--bucket",
      rgw.bucket,
      "--endpoint",
      rgw.endpoint,
      "--region",
      "us-east-1",
      "--path-style",
      "--provider",
      "ceph",
      "--policy",
      policy,
      "--handle-store",
      store,
      "--default-ttl",
      "1s",
      "--max-ttl",
      "2s",
    ];
  });
  after(async () => {
    s3.destroy();
    await p.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("lists each upload with what presignd knows of it, and aborts only the stale ones", async () => {
    const recorded = await p.client.service.createMultipartUpload({
      key: "sweep/recorded.bin",
      maxSize: 10n * BigInt(MiB),
    });
    const foreign = await s3.send(new CreateMultipartUploadCommand({ Bucket: rgw.bucket, Key: "sweep/foreign.bin" }));
    const ids = async () =>
      ((await s3.send(new ListMultipartUploadsCommand({ Bucket: rgw.bucket, Prefix: "sweep/" }))).Uploads ?? [])
        .map((u) => u.UploadId)
        .sort();
    assert.deepEqual(await ids(), [recorded.uploadId, foreign.UploadId].sort());
    // Older than --max-ttl, the foreign upload can have no valid token: stale. The recorded one's token is valid.
    await sleep(2500);
    const list = await run(PRESIGND, ["uploads", "list", "--json", ...args]);
    assert.equal(list.code, 0, list.stderr);
    const listed = list.stdout
      .toString()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { uploadId: string; key: string; stale: boolean; why: string })
      .filter((u) => u.key.startsWith("sweep/"));
    const byId = new Map(listed.map((u) => [u.uploadId, u]));
    assert.equal(byId.get(recorded.uploadId)?.stale, false, JSON.stringify(listed));
    assert.match(byId.get(recorded.uploadId)?.why ?? "", /its upload token is valid until/);
    assert.equal(byId.get(foreign.UploadId ?? "")?.stale, true);
    assert.match(
      byId.get(foreign.UploadId ?? "")?.why ?? "",
      /not recorded by presignd, and older than any upload token/,
    );
    const refused = await run(PRESIGND, ["uploads", "abort", "--stale", ...args]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /presignd: not aborting without confirmation: stdin is not a terminal/);
    const abort = await run(PRESIGND, ["uploads", "abort", "--stale", "--yes", ...args]);
    assert.equal(abort.code, 0, abort.stderr);
    assert.match(abort.stderr, /aborted: .*sweep\/foreign\.bin/);
    assert.deepEqual(await ids(), [recorded.uploadId], "the stale upload is gone; the live one kept");
    await p.client.service.abortMultipartUpload({ uploadToken: recorded.uploadToken }).then(async (req) => {
      await rawRequest(req.url, { method: "DELETE", headers: req.headers });
    });
  });
});
