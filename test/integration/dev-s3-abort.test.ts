import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEV_BUCKET } from "../../src/server/config/config.js";
import { devS3MultipartUploads } from "../../src/server/transport/connect-patches/s3rver-abort-multipart.js";
import { serverForSuite } from "../support/test-server.js";

const MiB = 1024 * 1024;

// s3rver has no AbortMultipartUpload; the embedded S3 answers it in front of s3rver.
describe("the embedded S3 aborts multipart uploads (presigned DELETE ?uploadId)", () => {
  const suite = serverForSuite();
  const uploads = async (key: string) =>
    (await devS3MultipartUploads(suite.server.dataDir, DEV_BUCKET)).filter((u) => u.key === key).length;
  const start = async (key: string) => {
    const { client } = suite;
    const upload = await client.service.createMultipartUpload({ key, maxSize: BigInt(20 * MiB), partSize: 0n });
    assert.equal(await uploads(key), 1, "the upload is under way");
    return client.service.abortMultipartUpload({ uploadToken: upload.uploadToken });
  };

  it("removes the upload, and a second abort is NoSuchUpload", async () => {
    const abort = await start("abort/one.bin");
    const first = await fetch(abort.url, { method: "DELETE", headers: abort.headers });
    assert.equal(first.status, 204);
    assert.equal(await uploads("abort/one.bin"), 0);
    const again = await fetch(abort.url, { method: "DELETE", headers: abort.headers });
    assert.equal(again.status, 404);
    assert.match(await again.text(), /<Code>NoSuchUpload<\/Code>/);
  });

  it("checks the signature: a tampered one is SignatureDoesNotMatch and the upload stays", async () => {
    const abort = await start("abort/tampered.bin");
    const url = new URL(abort.url);
    const signature = url.searchParams.get("X-Amz-Signature") ?? "";
    url.searchParams.set("X-Amz-Signature", `${signature.slice(0, -1)}${signature.endsWith("0") ? "1" : "0"}`);
    const refused = await fetch(url, { method: "DELETE" });
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
    const unsigned = await fetch(`${url.origin}${url.pathname}?uploadId=${url.searchParams.get("uploadId")}`, {
      method: "DELETE",
    });
    assert.equal(unsigned.status, 403);
    assert.equal(await uploads("abort/tampered.bin"), 1);
  });

  it("refuses an upload id moved to another key", async () => {
    const abort = await start("abort/a.bin");
    const other = await start("abort/b.bin");
    const moved = new URL(abort.url);
    moved.searchParams.set("uploadId", new URL(other.url).searchParams.get("uploadId") ?? "");
    assert.equal((await fetch(moved, { method: "DELETE" })).status, 403, "the upload id is signed");
    assert.equal(await uploads("abort/b.bin"), 1);
  });

  it("the Node client's cancelled multipart upload leaves nothing behind", async () => {
    const controller = new AbortController();
    const key = "abort/cancelled.bin";
    const upload = suite.client.upload(key, new Uint8Array(24 * MiB), {
      multipartThreshold: 5 * MiB,
      partSize: 5 * MiB,
      concurrency: 1,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.transferred > 0) controller.abort();
      },
    });
    await assert.rejects(upload, { name: "TransferAbortedError" });
    assert.equal(await uploads(key), 0);
  });
});
