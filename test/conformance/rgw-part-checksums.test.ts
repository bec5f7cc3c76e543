import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { ChecksumAlgorithm } from "../../src/gen/presign/v1/presign_pb.js";
import { crc32cBase64 as crc32c } from "../support/checksums.js";
import { rawRequest } from "../support/raw-http.js";
import { refusal } from "../support/refusal.js";
import { presigndForRgw, type RgwPresignd, rgwFromEnv } from "../support/rgw.js";

const MiB = 1024 * 1024;

describe("per-part checksums against RGW", () => {
  const rgw = rgwFromEnv();
  let p: RgwPresignd;
  let dir: string;
  let data: Buffer;
  let file: string;
  before(async () => {
    // "generic", not "ceph": the ceph profile refuses per-part checksums RGW 16 would not verify (the
    // last case), and this suite shows what RGW 16 does with them.
    p = await presigndForRgw(rgw, { provider: "generic" });
    dir = await mkdtemp(join(tmpdir(), "presignd-rgw-sums-"));
    data = randomBytes(10 * MiB + 4321);
    file = join(dir, "source.bin");
    await writeFile(file, data);
  });
  after(async () => {
    await p.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Creates a CRC32C upload of `key` and presigns its parts (5 MiB) with `checksums` (default: the parts' own). */
  const signedParts = async (key: string, checksums?: string[]) => {
    const upload = await p.client.service.createMultipartUpload({
      key,
      maxSize: BigInt(data.length),
      partSize: BigInt(5 * MiB),
      checksumAlgorithm: ChecksumAlgorithm.CRC32C,
    });
    assert.equal(upload.checksumAlgorithm, ChecksumAlgorithm.CRC32C);
    const bytes = [0, 1, 2].map((i) => data.subarray(i * 5 * MiB, (i + 1) * 5 * MiB));
    const { parts } = await p.client.service.presignUploadParts({
      uploadToken: upload.uploadToken,
      parts: bytes.map((b, i) => ({
        partNumber: i + 1,
        contentLength: BigInt(b.length),
        checksum: checksums?.[i] ?? crc32c(b),
      })),
    });
    return { upload, bytes, puts: parts.map((part) => part.request ?? assert.fail("no request")) };
  };
  const completeXml = (parts: { etag: string; checksum: string }[]) =>
    `<CompleteMultipartUpload>${parts.map((part, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${part.etag}</ETag><ChecksumCRC32C>${part.checksum}</ChecksumCRC32C></Part>`).join("")}</CompleteMultipartUpload>`;

  it("a part sent with another x-amz-checksum-crc32c than signed is refused: SignatureDoesNotMatch", async () => {
    const { puts, bytes } = await signedParts("sums/forged.bin");
    const put = puts[0] ?? assert.fail("part 1");
    assert.ok(new URL(put.url).searchParams.get("X-Amz-SignedHeaders")?.split(";").includes("x-amz-checksum-crc32c"));
    const forged = await rawRequest(put.url, {
      method: "PUT",
      headers: { ...put.headers, "x-amz-checksum-crc32c": crc32c(Buffer.from("other")) },
      body: bytes[0] ?? Buffer.alloc(0),
    });
    assert.equal(forged.status, 403, forged.body.toString());
    assert.equal(forged.code, "SignatureDoesNotMatch");
  });

  it("a multipart upload with CRC32C per part passes RGW's signature checks end to end", async () => {
    const { upload, puts, bytes } = await signedParts("sums/raw.bin");
    const sent: { etag: string; checksum: string }[] = [];
    for (const [i, put] of puts.entries()) {
      const res = await rawRequest(put.url, { method: "PUT", headers: put.headers, body: bytes[i] ?? Buffer.alloc(0) });
      assert.equal(res.status, 200, res.body.toString());
      // RGW 16 echoes no checksum (AWS S3 does).
      assert.equal(res.headers["x-amz-checksum-crc32c"], undefined);
      sent.push({ etag: String(res.headers.etag), checksum: crc32c(bytes[i] ?? Buffer.alloc(0)) });
    }
    const list = await p.client.service.listParts({ uploadToken: upload.uploadToken });
    const listed = await rawRequest(list.url, { method: "GET", headers: list.headers });
    assert.equal(listed.status, 200);
    // RGW 16's ListParts reports no ChecksumCRC32C: a resumed upload takes the checksums from its record.
    assert.doesNotMatch(listed.body.toString(), /ChecksumCRC32C/);
    const complete = await p.client.service.completeMultipartUpload({ uploadToken: upload.uploadToken });
    const done = await rawRequest(complete.url, {
      method: "POST",
      headers: complete.headers,
      body: completeXml(sent),
    });
    assert.equal(done.status, 200, done.body.toString());
    assert.doesNotMatch(done.body.toString(), /Checksum/, "RGW 16 answers no object checksum");
    const head = await p.client.service.headObject({ key: "sums/raw.bin" });
    const headed = await rawRequest(head.url, { method: "HEAD", headers: head.headers });
    assert.equal(headed.status, 200);
    assert.equal(headed.headers["x-amz-checksum-crc32c"], undefined, "RGW 16 stores no checksum");
    const get = await p.client.service.getObject({ key: "sums/raw.bin" });
    assert.ok((await rawRequest(get.url, { method: "GET" })).body.equals(data.subarray(0, 15 * MiB)));
  });

  // Pinned so that a change in RGW shows up: RGW 18 verifies part checksums, RGW 16 verifies none.
  it("RGW 16 takes a part whose bytes do not match its signed checksum, and ignores wrong <ChecksumCRC32C> in Complete", async () => {
    const wrong = crc32c(Buffer.from("not these bytes"));
    const { upload, puts, bytes } = await signedParts("sums/unverified.bin", [wrong]);
    const res = await rawRequest(puts[0]?.url ?? "", {
      method: "PUT",
      headers: puts[0]?.headers ?? {},
      body: bytes[0] ?? Buffer.alloc(0),
    });
    assert.equal(res.status, 200, "RGW 16 does not verify the part's body against x-amz-checksum-crc32c");
    const sent: { etag: string; checksum: string }[] = [{ etag: String(res.headers.etag), checksum: wrong }];
    for (const i of [1, 2]) {
      const ok = await rawRequest(puts[i]?.url ?? "", {
        method: "PUT",
        headers: puts[i]?.headers ?? {},
        body: bytes[i] ?? Buffer.alloc(0),
      });
      assert.equal(ok.status, 200);
      sent.push({
        etag: String(ok.headers.etag),
        checksum: i === 2 ? "AAAAAA==" : crc32c(bytes[i] ?? Buffer.alloc(0)),
      });
    }
    const complete = await p.client.service.completeMultipartUpload({ uploadToken: upload.uploadToken });
    const done = await rawRequest(complete.url, { method: "POST", headers: complete.headers, body: completeXml(sent) });
    assert.equal(done.status, 200, done.body.toString());
    assert.equal(done.code, "", "RGW 16 ignores the parts' ChecksumCRC32C in Complete's XML");
  });

  for (const checksum of ["crc32c", "sha256"] as const) {
    it(`upload({ checksum: "${checksum}" }) of a file and of bytes, downloaded byte for byte`, async () => {
      const up = await p.client.upload(`sums/client-${checksum}.bin`, file, { checksum, partSize: 5 * MiB });
      assert.equal(up.parts, 3);
      const target = join(dir, `down-${checksum}.bin`);
      await p.client.download(`sums/client-${checksum}.bin`, target);
      assert.ok((await readFile(target)).equals(data));
      const small = Buffer.from(createHash("sha256").update(checksum).digest("hex"));
      const one = await p.client.upload(`sums/small-${checksum}.txt`, small, { checksum });
      assert.equal(one.parts, 1);
    });
  }

  it("the ceph profile refuses checksum_algorithm with FAILED_PRECONDITION naming the store, before S3 sees anything", async () => {
    const ceph = await presigndForRgw(rgw);
    try {
      const failure = await refusal(
        ceph.client.service.createMultipartUpload({
          key: "sums/ceph.bin",
          maxSize: 10n * BigInt(MiB),
          checksumAlgorithm: ChecksumAlgorithm.CRC32C,
        }),
      );
      assert.equal(failure.code, Code.FailedPrecondition);
      assert.match(
        failure.rawMessage,
        /^checksum_algorithm: Ceph RGW \(RGW 16\) stores and verifies no part checksums/,
      );
    } finally {
      await ceph.server.close();
    }
  });
});
