import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AbortMultipartUploadCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { Code } from "@connectrpc/connect";
import { ConfirmedAgainst } from "../../src/gen/presign/v1/presign_pb.js";
import { rawRequest } from "../support/raw-http.js";
import { refusal } from "../support/refusal.js";
import { presigndForRgw, type RgwPresignd, rgwFromEnv } from "../support/rgw.js";

const MiB = 1024 * 1024;

describe("upload lifecycle against RGW: ConfirmUpload and the multipart reaper", () => {
  const rgw = rgwFromEnv();
  let p: RgwPresignd;
  let s3: S3Client;
  before(async () => {
    p = await presigndForRgw(rgw, { handleStore: "memory", reapInterval: "1s" });
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
    const abandoned = await start("lifecycle/reaper/abandoned.bin", 2n);
    const kept = await start("lifecycle/reaper/kept.bin");
    const listed = async () =>
      (
        (await s3.send(new ListMultipartUploadsCommand({ Bucket: rgw.bucket, Prefix: "lifecycle/reaper/" }))).Uploads ??
        []
      ).map((u) => u.UploadId);
    assert.deepEqual((await listed()).sort(), [abandoned, kept].sort(), "both uploads started");
    for (let i = 0; i < 100 && (await listed()).includes(abandoned); i++) await sleep(100);
    assert.deepEqual(await listed(), [kept], "the expired upload was aborted; the live one kept");
    await s3.send(
      new AbortMultipartUploadCommand({ Bucket: rgw.bucket, Key: "lifecycle/reaper/kept.bin", UploadId: kept }),
    );
  });
});
