import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { connectPresignd } from "../../src/cli/node-client.js";
import { refusal } from "../support/refusal.js";
import { serverForSuite } from "../support/test-server.js";

const MiB = 1024n * 1024n;
const md5 = createHash("md5").update("x").digest("base64");
const sha256 = createHash("sha256").update("x").digest("base64");

async function refused(call: Promise<unknown>, message: string): Promise<void> {
  const error = await refusal(call);
  assert.equal(error.code, Code.FailedPrecondition, `${Code[error.code]}: ${error.rawMessage}`);
  assert.equal(error.rawMessage, message);
}

describe("--dev --provider r2: what R2 users will meet, against the embedded S3", () => {
  const suite = serverForSuite({ provider: "r2" });

  it("refuses PostPolicy over Connect and gRPC, naming the store and what to use", async () => {
    const message = "PostPolicy: Cloudflare R2 does not implement POST Object; use PutObject";
    await refused(suite.client.service.postPolicy({ key: "form.txt", maxContentLength: 10n }), message);
    const grpc = connectPresignd({ baseUrl: suite.server.url, transport: "grpc" });
    await refused(grpc.service.postPolicy({ key: "form.txt", maxContentLength: 10n }), message);
  });

  it("signs one checksum, refuses two", async () => {
    const one = await suite.client.service.putObject({ key: "a.txt", contentLength: 1n, checksumSha256: sha256 });
    assert.equal(one.headers["x-amz-checksum-sha256"], sha256);
    await refused(
      suite.client.service.putObject({ key: "a.txt", contentLength: 1n, contentMd5: md5, checksumSha256: sha256 }),
      "checksum_sha256: Cloudflare R2 accepts one checksum per request; send content_md5 or checksum_sha256, not both",
    );
  });

  it("names the request of a batch that the store refuses", async () => {
    await refused(
      suite.client.service.batchPutObject({
        requests: [
          { key: "a.txt", contentLength: 1n },
          { key: "b.txt", contentLength: 1n, contentMd5: md5, checksumSha256: sha256 },
        ],
      }),
      "requests[1].checksum_sha256: Cloudflare R2 accepts one checksum per request; send content_md5 or checksum_sha256, not both",
    );
  });

  it("says equal_parts, and refuses a short part followed by a higher one", async () => {
    const upload = await suite.client.service.createMultipartUpload({
      key: "big.bin",
      maxSize: 20n * MiB,
      partSize: 5n * MiB,
    });
    assert.equal(upload.equalParts, true);
    const { parts } = await suite.client.service.presignUploadParts({
      uploadToken: upload.uploadToken,
      parts: [
        { partNumber: 1, contentLength: 5n * MiB },
        { partNumber: 2, contentLength: 100n },
      ],
    });
    assert.equal(parts.length, 2);
    await refused(
      suite.client.service.presignUploadParts({
        uploadToken: upload.uploadToken,
        parts: [
          { partNumber: 2, contentLength: 100n },
          { partNumber: 3, contentLength: 5n * MiB },
        ],
      }),
      "parts[0].content_length: Cloudflare R2 needs every part but the last to be exactly part_size (5242880 bytes); part 2 has 100 and part 3 follows it",
    );
  });

  it("logs the store of each bucket at start", () => {
    const line = suite.server.logs.find((l) => String(l.msg).startsWith("presignd listening"));
    assert.ok(line, "the listening line");
    assert.deepEqual(
      (line.buckets as { bucket: string; provider: string; provider_from: string }[]).map((b) => [
        b.bucket,
        b.provider,
        b.provider_from,
      ]),
      [["dev", "r2", "provider"]],
    );
  });
});

describe("--dev --provider b2, gcs, spaces, ceph", () => {
  const b2 = serverForSuite({ provider: "b2" });
  const gcs = serverForSuite({ provider: "gcs" });
  const spaces = serverForSuite({ provider: "spaces" });
  const ceph = serverForSuite({ provider: "ceph" });

  it("B2: no POST Object, no x-amz-checksum-*", async () => {
    await refused(
      b2.client.service.postPolicy({ key: "form.txt" }),
      "PostPolicy: Backblaze B2 does not implement POST Object; use PutObject",
    );
    await refused(
      b2.client.service.putObject({ key: "a.txt", contentLength: 1n, checksumSha256: sha256 }),
      "checksum_sha256: Backblaze B2 rejects x-amz-checksum-* headers; use content_md5",
    );
    const signed = await b2.client.service.putObject({ key: "a.txt", contentLength: 1n, contentMd5: md5 });
    assert.equal(signed.headers["content-md5"], md5);
  });

  it("GCS: uploads name their Content-Type", async () => {
    const message = "content_type: Google Cloud Storage needs an explicit Content-Type on uploads; set content_type";
    await refused(gcs.client.service.putObject({ key: "a.txt", contentLength: 1n }), message);
    await refused(gcs.client.service.createMultipartUpload({ key: "a.bin", maxSize: 10n * MiB }), message);
    await refused(
      gcs.client.service.postPolicy({ key: "a.txt", maxContentLength: 10n }),
      `${message} (or content_type_prefix)`,
    );
    const signed = await gcs.client.service.putObject({ key: "a.txt", contentLength: 1n, contentType: "text/plain" });
    assert.equal(signed.headers["content-type"], "text/plain");
    const upload = await gcs.client.service.createMultipartUpload({
      key: "a.bin",
      maxSize: 10n * MiB,
      contentType: "application/octet-stream",
    });
    assert.equal(upload.equalParts, false);
  });

  it("Spaces: no x-amz-checksum-*; POST is signed", async () => {
    await refused(
      spaces.client.service.putObject({ key: "a.txt", contentLength: 1n, checksumSha256: sha256 }),
      "checksum_sha256: DigitalOcean Spaces fails uploads that carry x-amz-checksum-* headers; use content_md5",
    );
    const form = await spaces.client.service.postPolicy({ key: "form.txt", maxContentLength: 10n });
    assert.equal(form.fields.key, "form.txt");
  });

  it("Ceph RGW: refuses a checksum it would not verify, warns of unsigned metadata at start", async () => {
    await refused(
      ceph.client.service.putObject({ key: "a.txt", contentLength: 1n, checksumSha256: sha256 }),
      "checksum_sha256: Ceph RGW (RGW 16) stores no body checksum, so a signed x-amz-checksum-sha256 would not be verified; use content_md5",
    );
    assert.ok(
      ceph.server.logs.some((l) => l.level === 40 && String(l.msg).startsWith("Ceph RGW 16 stores x-amz-meta-*")),
    );
  });
});

describe("--dev without --provider: the embedded S3 is generic", () => {
  const suite = serverForSuite();

  it("signs PostPolicy and both checksums, and needs no equal parts", async () => {
    const form = await suite.client.service.postPolicy({ key: "form.txt", maxContentLength: 10n });
    assert.equal(form.fields.key, "form.txt");
    const put = await suite.client.service.putObject({
      key: "a.txt",
      contentLength: 1n,
      contentMd5: md5,
      checksumSha256: sha256,
    });
    assert.equal(put.headers["content-md5"], md5);
    const upload = await suite.client.service.createMultipartUpload({ key: "a.bin", maxSize: 10n * MiB });
    assert.equal(upload.equalParts, false);
  });
});
