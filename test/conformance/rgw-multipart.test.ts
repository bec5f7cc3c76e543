import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import { KEYS } from "../support/policy.js";
import { rawRequest } from "../support/raw-http.js";
import { presigndForRgw, type RgwPresignd, rgwFromEnv } from "../support/rgw.js";
import { PRESIGND, ROOT, run } from "../support/run.js";

const MiB = 1024 * 1024;
const completeXml = (parts: { n: number; etag: string }[]) =>
  `<CompleteMultipartUpload>${parts.map((p) => `<Part><PartNumber>${p.n}</PartNumber><ETag>${p.etag}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;

describe("multipart against RGW", () => {
  const rgw = rgwFromEnv();
  let p: RgwPresignd;
  let dir: string;
  let data: Buffer;
  let file: string;
  before(async () => {
    p = await presigndForRgw(rgw);
    dir = await mkdtemp(join(tmpdir(), "presignd-rgw-mp-"));
    data = randomBytes(16 * MiB + 4321);
    file = join(dir, "source.bin");
    await writeFile(file, data);
  });
  after(async () => {
    await p.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts an upload of `key` and PUTs part 1 (`size` bytes); returns its token and the part's ETag. */
  const startWithPart = async (key: string, size = 5 * MiB, offset = 0) => {
    const upload = await p.client.service.createMultipartUpload({
      key,
      maxSize: BigInt(20 * MiB),
      partSize: BigInt(5 * MiB),
    });
    const { parts } = await p.client.service.presignUploadParts({
      uploadToken: upload.uploadToken,
      parts: [{ partNumber: 1, contentLength: BigInt(size) }],
    });
    const put = parts[0]?.request;
    assert.ok(put);
    const res = await rawRequest(put.url, {
      method: "PUT",
      headers: put.headers,
      body: data.subarray(offset, offset + size),
    });
    assert.equal(res.status, 200, res.body.toString());
    return { upload, etag: String(res.headers.etag) };
  };

  it("uploads a file in parallel parts and downloads it in parallel ranges, byte for byte", async () => {
    const up = await p.client.upload("mp/file.bin", file, {
      partSize: 5 * MiB,
      concurrency: 3,
      multipartThreshold: MiB,
    });
    assert.equal(up.parts, 4);
    // RGW 16 answers Complete with an empty <ETag/>; the client reports none rather than "".
    assert.equal(up.etag, undefined);
    const target = join(dir, "down.bin");
    const down = await p.client.download("mp/file.bin", target, { chunkSize: 3 * MiB, concurrency: 4 });
    assert.match(down.etag ?? "", /-4"$/, "a multipart object's ETag names its part count");
    assert.ok((await readFile(target)).equals(data));
  });

  it("streams a source of unknown length in parts", async () => {
    const up = await p.client.upload("mp/stream.bin", Readable.from([data.subarray(0, 11 * MiB)]), {
      partSize: 5 * MiB,
    });
    assert.equal(up.parts, 3);
    const target = join(dir, "stream.bin");
    await p.client.download("mp/stream.bin", target);
    assert.ok((await readFile(target)).equals(data.subarray(0, 11 * MiB)));
  });

  it("resumes after the uploading process is killed (ListParts tells what RGW has)", async () => {
    const state = join(dir, "killed.state.json");
    // 13 parts: after the second is recorded, plenty remain for the kill to land mid-upload.
    const big = join(dir, "killed-source.bin");
    const bigData = Buffer.concat([data, data, data, data]);
    await writeFile(big, bigData);
    const env = { ...process.env, PRESIGND_SERVER: p.server.url, PRESIGND_API_KEY: KEYS.admin };
    const args = ["put", "mp/killed.bin", "-f", big, "--resume", state, "--part-size", "5MiB", "-c", "1", "-q"];
    const child = spawn(PRESIGND, args, { cwd: ROOT, env, stdio: "ignore" });
    const exited = new Promise((resolve) => child.on("exit", resolve));
    let recorded = 0;
    for (let i = 0; i < 600 && recorded < 2; i++) {
      await sleep(25);
      if (existsSync(state)) {
        // A fileStateStore file: each record a JSON string under its id.
        const records = JSON.parse(await readFile(state, "utf8").catch(() => "{}")) as Record<string, string>;
        const record = records["upload:/mp/killed.bin"];
        recorded = record ? Object.keys((JSON.parse(record) as { parts: object }).parts).length : 0;
      }
    }
    child.kill("SIGKILL");
    await exited;
    assert.ok(recorded >= 2, `parts recorded before the kill: ${recorded}`);
    const again = await run(
      PRESIGND,
      args.filter((a) => a !== "-q"),
      { env },
    );
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /in 13 parts \((\d+) resumed\)/);
    const resumed = Number(/\((\d+) resumed\)/.exec(again.stderr)?.[1]);
    assert.ok(resumed >= 2 && resumed < 13, `resumed ${resumed}`);
    const target = join(dir, "killed.bin");
    await p.client.download("mp/killed.bin", target);
    assert.ok((await readFile(target)).equals(bigData));
    assert.ok(!existsSync(state));
  });

  it("Ctrl-C during presignd put aborts the upload at RGW (without --resume)", async () => {
    const env = { ...process.env, PRESIGND_SERVER: p.server.url, PRESIGND_API_KEY: KEYS.admin };
    // From stdin, which then stalls: the upload is under way and waiting when Ctrl-C comes.
    const child = spawn(PRESIGND, ["put", "mp/interrupted.bin", "--part-size", "5MiB"], {
      cwd: ROOT,
      env,
      stdio: ["pipe", "ignore", "pipe"],
    });
    // The child stops reading stdin when interrupted: what is still unwritten then fails with EPIPE.
    child.stdin.on("error", () => {});
    child.stdin.write(data.subarray(0, 6 * MiB));
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    const s3 = new S3Client({ region: "us-east-1", endpoint: rgw.endpoint, forcePathStyle: true });
    const uploads = async () =>
      (
        (await s3.send(new ListMultipartUploadsCommand({ Bucket: rgw.bucket, Prefix: "mp/interrupted.bin" })))
          .Uploads ?? []
      ).length;
    try {
      for (let i = 0; i < 400 && (await uploads()) === 0; i++) await sleep(25);
      assert.equal(await uploads(), 1, "the upload started");
      child.kill("SIGINT");
      assert.equal(await exited, 130, "SIGINT: the shell's 128 + 2");
      assert.match(stderr, /presignd: interrupted by SIGINT/);
      assert.equal(await uploads(), 0, "the upload was aborted, its parts freed");
    } finally {
      child.stdin.destroy();
      s3.destroy();
    }
  });

  it("refuses a Complete moved to another key or another upload, and foreign parts", async () => {
    const a = await startWithPart("mp/cross-a.bin", 1 * MiB);
    const b = await startWithPart("mp/cross-b.bin", 1 * MiB, 7);
    assert.notEqual(a.etag, b.etag);
    const complete = await p.client.service.completeMultipartUpload({ uploadToken: a.upload.uploadToken });
    const body = completeXml([{ n: 1, etag: b.etag }]);
    const otherKey = await rawRequest(complete.url.replace("/mp/cross-a.bin?", "/mp/cross-b.bin?"), {
      method: "POST",
      body,
    });
    assert.deepEqual([otherKey.status, otherKey.code], [403, "SignatureDoesNotMatch"]);
    const u = new URL(complete.url);
    u.searchParams.set("uploadId", b.upload.uploadId);
    const otherUpload = await rawRequest(u.toString(), { method: "POST", body });
    assert.deepEqual([otherUpload.status, otherUpload.code], [403, "SignatureDoesNotMatch"]);
    // A's own Complete with B's part: RGW has no such part in A.
    const foreign = await rawRequest(complete.url, { method: "POST", body });
    assert.deepEqual([foreign.status, foreign.code], [400, "InvalidPart"]);
    const own = await rawRequest(complete.url, { method: "POST", body: completeXml([{ n: 1, etag: a.etag }]) });
    assert.equal(own.status, 200, own.body.toString());
    const exists = await rawRequest((await p.client.service.getObject({ key: "mp/cross-b.bin" })).url);
    assert.deepEqual([exists.status, exists.code], [404, "NoSuchKey"], "B was never completed by anyone");
  });

  it("signs each part's length and number: more bytes, another number or another upload fail", async () => {
    const upload = await p.client.service.createMultipartUpload({
      key: "mp/signed.bin",
      maxSize: BigInt(20 * MiB),
      partSize: BigInt(5 * MiB),
    });
    const { parts } = await p.client.service.presignUploadParts({
      uploadToken: upload.uploadToken,
      parts: [{ partNumber: 2, contentLength: 1000n }],
    });
    const put = parts[0]?.request;
    assert.ok(put);
    const longer = await rawRequest(put.url, {
      method: "PUT",
      headers: { "content-length": "1001" },
      body: data.subarray(0, 1001),
    });
    assert.deepEqual([longer.status, longer.code], [403, "SignatureDoesNotMatch"]);
    const renumbered = new URL(put.url);
    renumbered.searchParams.set("partNumber", "3");
    const other = await rawRequest(renumbered.toString(), {
      method: "PUT",
      headers: put.headers,
      body: data.subarray(0, 1000),
    });
    assert.deepEqual([other.status, other.code], [403, "SignatureDoesNotMatch"]);
    const right = await rawRequest(put.url, { method: "PUT", headers: put.headers, body: data.subarray(0, 1000) });
    assert.equal(right.status, 200);
  });

  it("a part under 5 MiB that is not the last fails at Complete (EntityTooSmall)", async () => {
    const { upload, etag } = await startWithPart("mp/small-parts.bin", 1 * MiB);
    const { parts } = await p.client.service.presignUploadParts({
      uploadToken: upload.uploadToken,
      parts: [{ partNumber: 2, contentLength: 1000n }],
    });
    const put = parts[0]?.request;
    assert.ok(put);
    const second = await rawRequest(put.url, { method: "PUT", headers: put.headers, body: data.subarray(0, 1000) });
    const complete = await p.client.service.completeMultipartUpload({ uploadToken: upload.uploadToken });
    const res = await rawRequest(complete.url, {
      method: "POST",
      body: completeXml([
        { n: 1, etag },
        { n: 2, etag: String(second.headers.etag) },
      ]),
    });
    assert.deepEqual([res.status, res.code], [400, "EntityTooSmall"]);
  });

  it("abort frees the upload: its parts are gone and ListParts says NoSuchUpload", async () => {
    const { upload } = await startWithPart("mp/aborted.bin", 1 * MiB);
    const list = await p.client.service.listParts({ uploadToken: upload.uploadToken });
    const before = await rawRequest(list.url);
    assert.equal(before.status, 200);
    assert.match(before.body.toString(), /<PartNumber>1<\/PartNumber>/);
    const abort = await p.client.service.abortMultipartUpload({ uploadToken: upload.uploadToken });
    const res = await rawRequest(abort.url, { method: "DELETE" });
    assert.equal(res.status, 204);
    const afterAbort = await rawRequest(list.url);
    // S3 says NoSuchUpload; RGW 16 says NoSuchKey. Either way: gone.
    assert.equal(afterAbort.status, 404);
    assert.ok(["NoSuchUpload", "NoSuchKey"].includes(afterAbort.code), afterAbort.code);
  });

  it("a kept partial download of an object that changed meanwhile starts over (If-Match)", async () => {
    await p.client.upload("mp/changing.bin", data.subarray(0, 8 * MiB));
    const target = join(dir, "changing.bin");
    const stop = new AbortController();
    await assert.rejects(
      p.client.download("mp/changing.bin", target, {
        chunkSize: MiB,
        concurrency: 1,
        keepPartial: true,
        signal: stop.signal,
        onProgress: (q) => {
          if (q.transferred >= 3 * MiB) stop.abort();
        },
      }),
    );
    assert.ok(existsSync(`${target}.presignd-partial.json`));
    const replacement = randomBytes(6 * MiB);
    await p.client.upload("mp/changing.bin", replacement);
    await p.client.download("mp/changing.bin", target, { chunkSize: MiB, keepPartial: true });
    assert.ok((await readFile(target)).equals(replacement));
  });
});
