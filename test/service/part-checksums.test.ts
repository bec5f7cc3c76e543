import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { fileStateStore, isAbortError, isRpcError } from "@presignd/client/node";
import { connectPresignd, type NodePresignClient } from "../../src/cli/node-client.js";
import { ChecksumAlgorithm } from "../../src/gen/presign/v1/presign_pb.js";
import { crc32cBase64 as crc32c, sha256Base64 as sha256 } from "../support/checksums.js";
import { rawRequest } from "../support/raw-http.js";
import { type RecordingProxy, startRecordingProxy } from "../support/recording-proxy.js";
import { refusal } from "../support/refusal.js";
import { PRESIGND, run } from "../support/run.js";
import { serverForSuite, startTestServer, type TestServer } from "../support/test-server.js";

const MiB = 1024 * 1024;

describe("per-part checksums against the embedded S3", () => {
  let proxy: RecordingProxy;
  let server: TestServer;
  let client: NodePresignClient;
  let dir: string;
  let data: Buffer;
  let file: string;
  before(async () => {
    proxy = await startRecordingProxy();
    server = await startTestServer({ publicEndpoint: proxy.url, logLevel: "warn" });
    proxy.upstreamPort = Number(new URL(server.devS3Endpoint ?? assert.fail("dev S3")).port);
    client = connectPresignd({ baseUrl: server.url });
    dir = await mkdtemp(join(tmpdir(), "presignd-partsums-"));
    data = randomBytes(11 * MiB + 777);
    file = join(dir, "source.bin");
    await writeFile(file, data);
  });
  after(async () => {
    await server.close();
    await proxy.close();
    await rm(dir, { recursive: true, force: true });
  });

  const partsOf = (bytes: Buffer, size: number) => {
    const parts: Buffer[] = [];
    for (let at = 0; at < bytes.length; at += size) parts.push(bytes.subarray(at, at + size));
    return parts;
  };

  it("signs each part's x-amz-checksum-crc32c with its value; S3 takes the part only with that header", async () => {
    const upload = await client.service.createMultipartUpload({
      key: "sums/raw.bin",
      maxSize: BigInt(data.length),
      partSize: BigInt(5 * MiB),
      checksumAlgorithm: ChecksumAlgorithm.CRC32C,
    });
    assert.equal(upload.checksumAlgorithm, ChecksumAlgorithm.CRC32C, "the answer names the algorithm in force");
    const parts = partsOf(data, 5 * MiB);
    const { parts: signed } = await client.service.presignUploadParts({
      uploadToken: upload.uploadToken,
      parts: parts.map((bytes, i) => ({
        partNumber: i + 1,
        contentLength: BigInt(bytes.length),
        checksum: crc32c(bytes),
      })),
    });
    let xml = "<CompleteMultipartUpload>";
    for (const [i, bytes] of parts.entries()) {
      const put = signed[i]?.request ?? assert.fail(`part ${i + 1}`);
      assert.ok(
        new URL(put.url).searchParams.get("X-Amz-SignedHeaders")?.split(";").includes("x-amz-checksum-crc32c"),
        put.url,
      );
      assert.equal(put.headers["x-amz-checksum-crc32c"], crc32c(bytes));
      const res = await rawRequest(put.url, { method: "PUT", headers: put.headers, body: bytes });
      assert.equal(res.status, 200, res.body.toString());
      xml += `<Part><PartNumber>${i + 1}</PartNumber><ETag>${String(res.headers.etag)}</ETag><ChecksumCRC32C>${crc32c(bytes)}</ChecksumCRC32C></Part>`;
    }
    xml += "</CompleteMultipartUpload>";
    // Another value than signed: the signature no longer matches. (A part of its own, of a few bytes: S3
    // refusing a 5 MiB body before reading it may reset the connection under the answer.)
    const small = Buffer.from("a small part");
    const other = await client.service.createMultipartUpload({
      key: "sums/forged.bin",
      maxSize: BigInt(small.length),
      checksumAlgorithm: ChecksumAlgorithm.CRC32C,
    });
    const [part] = (
      await client.service.presignUploadParts({
        uploadToken: other.uploadToken,
        parts: [{ partNumber: 1, contentLength: BigInt(small.length), checksum: crc32c(small) }],
      })
    ).parts;
    const signedPut = part?.request ?? assert.fail("the small part");
    const forged = await rawRequest(signedPut.url, {
      method: "PUT",
      headers: { ...signedPut.headers, "x-amz-checksum-crc32c": crc32c(Buffer.from("other bytes")) },
      body: small,
    });
    assert.equal(forged.status, 403, forged.body.toString());
    assert.match(forged.body.toString(), /SignatureDoesNotMatch/);
    const genuine = await rawRequest(signedPut.url, { method: "PUT", headers: signedPut.headers, body: small });
    assert.equal(genuine.status, 200, genuine.body.toString());
    const complete = await client.service.completeMultipartUpload({ uploadToken: upload.uploadToken });
    assert.deepEqual(complete.headers, {}, "Complete signs no checksum header: the checksums travel in the XML");
    const done = await rawRequest(complete.url, { method: "POST", headers: complete.headers, body: Buffer.from(xml) });
    assert.equal(done.status, 200, done.body.toString());
    const get = await client.service.getObject({ key: "sums/raw.bin" });
    const body = await rawRequest(get.url, { method: "GET", headers: get.headers });
    assert.ok(body.body.equals(data));
  });

  it("refuses a part without its checksum, a malformed one, and one for an upload without an algorithm", async () => {
    const sha = await client.service.createMultipartUpload({
      key: "sums/refused.bin",
      maxSize: BigInt(20 * MiB),
      checksumAlgorithm: ChecksumAlgorithm.SHA256,
    });
    const presign = (uploadToken: string, checksum: string) =>
      refusal(
        client.service.presignUploadParts({
          uploadToken,
          parts: [
            { partNumber: 1, contentLength: 10n, checksum: sha256(Buffer.alloc(10)) },
            { partNumber: 2, contentLength: 10n, checksum },
          ],
        }),
      );
    const missing = await presign(sha.uploadToken, "");
    assert.equal(missing.code, Code.InvalidArgument);
    assert.equal(
      missing.rawMessage,
      "parts[1].checksum: is required: the upload was created with checksum_algorithm SHA256",
    );
    // The token binds the algorithm: a CRC32C is the wrong length for this upload.
    const wrong = await presign(sha.uploadToken, crc32c(Buffer.alloc(10)));
    assert.equal(wrong.code, Code.InvalidArgument);
    assert.equal(
      wrong.rawMessage,
      "parts[1].checksum: must be the base64 of the part's 32-byte SHA-256 (44 characters)",
    );
    const plain = await client.service.createMultipartUpload({ key: "sums/plain.bin", maxSize: BigInt(20 * MiB) });
    assert.equal(plain.checksumAlgorithm, ChecksumAlgorithm.UNSPECIFIED);
    const unexpected = await refusal(
      client.service.presignUploadParts({
        uploadToken: plain.uploadToken,
        parts: [{ partNumber: 1, contentLength: 10n, checksum: crc32c(Buffer.alloc(10)) }],
      }),
    );
    assert.equal(unexpected.code, Code.InvalidArgument);
    assert.match(unexpected.rawMessage, /^parts\[0\]\.checksum: the upload was created without checksum_algorithm/);
    const unknown = await refusal(
      client.service.createMultipartUpload({
        key: "sums/x.bin",
        maxSize: 10n,
        checksumAlgorithm: 7 as ChecksumAlgorithm,
      }),
    );
    assert.equal(unknown.code, Code.InvalidArgument);
    assert.match(unknown.rawMessage, /checksum_algorithm/);
  });

  for (const algorithm of ["crc32c", "sha256"] as const) {
    const header = `x-amz-checksum-${algorithm}`;
    const digest = algorithm === "crc32c" ? crc32c : sha256;

    it(`upload({ checksum: "${algorithm}" }) of a file: every part's PUT carries its checksum, and the bytes round-trip`, async () => {
      proxy.reset();
      const key = `sums/file-${algorithm}.bin`;
      const up = await client.upload(key, file, { checksum: algorithm, partSize: 5 * MiB, concurrency: 2 });
      assert.equal(up.parts, 3);
      const puts = proxy.exchanges.filter((e) => e.method === "PUT");
      assert.equal(puts.length, 3);
      const parts = partsOf(data, 5 * MiB);
      for (const put of puts) {
        const n = Number(put.url.searchParams.get("partNumber"));
        assert.equal(put.headers[header], digest(parts[n - 1] ?? assert.fail(`part ${n}`)), `part ${n}`);
        assert.ok(put.url.searchParams.get("X-Amz-SignedHeaders")?.split(";").includes(header));
        assert.equal(put.status, 200);
      }
      const target = join(dir, `down-${algorithm}.bin`);
      await client.download(key, target);
      assert.ok((await readFile(target)).equals(data));
    });

    it(`upload({ checksum: "${algorithm}" }) of a stream, and of a small file (one part): checksums computed as read`, async () => {
      proxy.reset();
      // Chunks of 100,003 bytes straddle the part boundaries: a chunk's bytes count toward the right parts.
      const chunks = Readable.from(partsOf(data, 100_003));
      const streamed = await client.upload(`sums/stream-${algorithm}.bin`, chunks, {
        checksum: algorithm,
        partSize: 5 * MiB,
      });
      assert.equal(streamed.parts, 3);
      const sent = proxy.exchanges
        .filter((e) => e.method === "PUT")
        .map((e) => [Number(e.url.searchParams.get("partNumber")), e.headers[header]])
        .sort(([a], [b]) => Number(a) - Number(b));
      assert.deepEqual(
        sent,
        partsOf(data, 5 * MiB).map((bytes, i) => [i + 1, digest(bytes)]),
      );
      // A small source goes multipart too (one part): the checksum is per part.
      const small = Buffer.from("a few bytes");
      const one = await client.upload(`sums/small-${algorithm}.txt`, small, { checksum: algorithm });
      assert.equal(one.parts, 1);
      const get = await client.service.getObject({ key: `sums/small-${algorithm}.txt` });
      assert.ok((await rawRequest(get.url, { method: "GET" })).body.equals(small));
    });
  }

  it("a resumed upload completes with the checksums of the parts sent before (the store's ListParts reports none)", async () => {
    const state = join(dir, "resume.state.json");
    const stop = new AbortController();
    const first = await client
      .upload("sums/resumed.bin", file, {
        checksum: "crc32c",
        partSize: 5 * MiB,
        concurrency: 1,
        resume: { store: fileStateStore(state), keepOnAbort: true },
        signal: stop.signal,
        onProgress: (p) => {
          if (p.transferred >= 6 * MiB) stop.abort();
        },
      })
      .then(
        () => assert.fail("the upload should have been interrupted"),
        (error: unknown) => error,
      );
    assert.ok(isAbortError(first), String(first));
    const records = JSON.parse(await readFile(state, "utf8")) as Record<string, string>;
    const saved = JSON.parse(records["upload:/sums/resumed.bin"] ?? "{}") as { checksums?: Record<string, string> };
    assert.equal(
      saved.checksums?.["1"],
      crc32c(data.subarray(0, 5 * MiB)),
      "the record keeps what part 1 was signed with",
    );
    const other = await client
      .upload("sums/resumed.bin", file, { partSize: 5 * MiB, resume: { store: fileStateStore(state) } })
      .then(
        () => assert.fail("resuming without the checksum should be refused"),
        (error: unknown) => error as Error,
      );
    assert.match(other.message, /records an upload with checksum "crc32c"/);
    const second = await client.upload("sums/resumed.bin", file, {
      checksum: "crc32c",
      partSize: 5 * MiB,
      resume: { store: fileStateStore(state) },
    });
    assert.equal(second.parts, 3);
    assert.ok((second.resumedParts ?? 0) >= 1);
    const target = join(dir, "resumed.bin");
    await client.download("sums/resumed.bin", target);
    assert.ok((await readFile(target)).equals(data));
  });

  it("presignd put --checksum crc32c|sha256: each part's PUT carries its checksum; other algorithms are refused", async () => {
    for (const algorithm of ["crc32c", "sha256"] as const) {
      proxy.reset();
      const put = await run(
        PRESIGND,
        ["put", `sums/cli-${algorithm}.bin`, "-f", file, "--part-size", "5MiB", "--checksum", algorithm, "--json"],
        { env: { PRESIGND_SERVER: server.url } },
      );
      assert.equal(put.code, 0, put.stderr);
      assert.equal((JSON.parse(String(put.stdout)) as { parts: number }).parts, 3);
      const digest = algorithm === "crc32c" ? crc32c : sha256;
      const sent = proxy.exchanges
        .filter((e) => e.method === "PUT")
        .map((e) => [Number(e.url.searchParams.get("partNumber")), e.headers[`x-amz-checksum-${algorithm}`]])
        .sort(([a], [b]) => Number(a) - Number(b));
      assert.deepEqual(
        sent,
        partsOf(data, 5 * MiB).map((bytes, i) => [i + 1, digest(bytes)]),
      );
    }
    const bad = await run(PRESIGND, ["put", "sums/x", "-f", file, "--checksum", "md5"], {
      env: { PRESIGND_SERVER: server.url },
    });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--checksum.*md5.*crc32c, sha256/s);
  });

  it("checksum with a one-PUT parameter is refused before anything is sent", async () => {
    const error = await client
      .upload("sums/md5.bin", Buffer.from("x"), {
        checksum: "crc32c",
        params: { contentMd5: createHash("md5").update("x").digest("base64") },
      })
      .then(
        () => assert.fail("expected a refusal"),
        (e: unknown) => e as Error,
      );
    assert.match(error.message, /checksum.*params\.contentMd5 makes this upload one PUT/);
  });
});

describe("per-part checksums: store profiles (--dev --provider)", () => {
  const b2 = serverForSuite({ provider: "b2", logLevel: "warn" });
  const ceph = serverForSuite({ provider: "ceph", logLevel: "warn" });

  it("B2 refuses checksum_algorithm with FAILED_PRECONDITION naming the store; the client says so too", async () => {
    const error = await refusal(
      b2.client.service.createMultipartUpload({
        key: "a.bin",
        maxSize: 10n * BigInt(MiB),
        checksumAlgorithm: ChecksumAlgorithm.CRC32C,
      }),
    );
    assert.equal(error.code, Code.FailedPrecondition);
    assert.equal(
      error.rawMessage,
      "checksum_algorithm: Backblaze B2 rejects x-amz-checksum-* headers; use content_md5",
    );
    const viaClient = await b2.client.upload("a.bin", Buffer.from("abc"), { checksum: "sha256" }).then(
      () => assert.fail("expected a refusal"),
      (e: unknown) => e,
    );
    assert.ok(isRpcError(viaClient), String(viaClient));
    assert.equal(viaClient.code, Code.FailedPrecondition);
    assert.match(viaClient.rawMessage, /^checksum_algorithm: Backblaze B2/);
  });

  it("Ceph RGW's profile refuses it too (RGW 16 verifies none), and says to use content_md5", async () => {
    const error = await ceph.client.upload("a.bin", Buffer.from("abc"), { checksum: "crc32c" }).then(
      () => assert.fail("expected a refusal"),
      (e: unknown) => e,
    );
    assert.ok(isRpcError(error), String(error));
    assert.equal(error.code, Code.FailedPrecondition);
    assert.match(error.rawMessage, /^checksum_algorithm: Ceph RGW \(RGW 16\) .* use content_md5 per part$/);
  });
});
