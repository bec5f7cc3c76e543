import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { uploadMultipart } from "../../src/client/multipart-upload.js";
import { downloadRanged } from "../../src/client/ranged-download.js";
import { openSource } from "../../src/client/sources.js";
import type { Progress } from "../../src/client/transfer.js";
import { PRESIGND, run } from "../support/run.js";
import { serverForSuite } from "../support/test-server.js";

const MiB = 1024 * 1024;

describe("multipart uploads and parallel ranged downloads (embedded S3)", () => {
  const suite = serverForSuite({ logLevel: "warn" });
  let dir: string;
  let data: Buffer;
  let file: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "presignd-mp-"));
    data = randomBytes(21 * MiB + 12_345);
    file = join(dir, "source.bin");
    await writeFile(file, data);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it("a file above the threshold goes up in parallel parts and comes down in parallel ranges", async () => {
    const progress: Progress[] = [];
    const up = await suite.client.upload("mp/file.bin", file, {
      multipartThreshold: MiB,
      partSize: 5 * MiB,
      concurrency: 3,
      contentType: "application/octet-stream",
      onProgress: (p) => progress.push(p),
    });
    assert.equal(up.parts, 5);
    assert.equal(up.bytes, data.length);
    assert.ok(up.etag, "Complete's ETag is reported");
    assert.equal(progress.at(-1)?.transferred, data.length);
    assert.equal(progress.at(-1)?.total, data.length);
    const down: Progress[] = [];
    const target = join(dir, "down.bin");
    const got = await suite.client.download("mp/file.bin", target, {
      chunkSize: 4 * MiB,
      concurrency: 3,
      onProgress: (p) => down.push(p),
    });
    assert.equal(got.bytes, data.length);
    assert.ok((await readFile(target)).equals(data));
    assert.equal(down.at(-1)?.transferred, data.length);
    assert.ok(!existsSync(`${target}.presignd-partial`));
  });

  it("a stream of unknown length goes multipart in part-sized buffers; a short one is one PUT", async () => {
    const chunks = function* () {
      for (let at = 0; at < 13 * MiB; at += 777_777) yield data.subarray(at, Math.min(at + 777_777, 13 * MiB));
    };
    const up = await suite.client.upload("mp/stream.bin", Readable.from(chunks()), { partSize: 5 * MiB });
    assert.equal(up.parts, 3);
    const target = join(dir, "stream.bin");
    await suite.client.download("mp/stream.bin", target);
    assert.ok((await readFile(target)).equals(data.subarray(0, 13 * MiB)));
    const small = await suite.client.upload("mp/small.txt", Readable.from([Buffer.from("short stream")]));
    assert.equal(small.parts, undefined);
    assert.equal(small.bytes, 12);
  });

  it("an interrupted upload with a state file resumes where it stopped", async () => {
    const state = join(dir, "upload.state.json");
    const stop = new AbortController();
    const first = await suite.client
      .upload("mp/resumed.bin", file, {
        partSize: 5 * MiB,
        concurrency: 1,
        resumeState: state,
        signal: stop.signal,
        onProgress: (p) => {
          if (p.transferred >= 11 * MiB) stop.abort();
        },
      })
      .then(
        () => assert.fail("the upload should have been interrupted"),
        (error: unknown) => error as Error,
      );
    assert.equal(first.name, "AbortError");
    const saved = JSON.parse(await readFile(state, "utf8")) as { parts: Record<string, string> };
    assert.ok(Object.keys(saved.parts).length >= 2, JSON.stringify(saved.parts));
    const second = await suite.client.upload("mp/resumed.bin", file, { partSize: 5 * MiB, resumeState: state });
    assert.equal(second.parts, 5);
    assert.ok((second.resumedParts ?? 0) >= 2);
    assert.ok(!existsSync(state), "the state file goes once the upload completed");
    const target = join(dir, "resumed.bin");
    await suite.client.download("mp/resumed.bin", target);
    assert.ok((await readFile(target)).equals(data));
  });

  it("a part whose URL expired before it was sent is presigned again, and so is a download's URL", async () => {
    const service = suite.client.service;
    let calls = 0;
    let stale = 0;
    // Hands out URLs that live 1 s and are already expired when the client gets them.
    const expiring: typeof service = new Proxy(service, {
      get(target, property, receiver) {
        if (property !== "presignUploadParts") return Reflect.get(target, property, receiver);
        return async (request: { uploadToken: string; parts: { partNumber: number; contentLength: bigint }[] }) => {
          calls++;
          if (stale >= 2) return target.presignUploadParts(request);
          stale++;
          const answer = await target.presignUploadParts({
            uploadToken: request.uploadToken,
            parts: request.parts,
            expiresIn: { seconds: 1n },
          });
          await sleep(2100);
          return answer;
        };
      },
    });
    const up = await uploadMultipart(expiring, "mp/expired.bin", await openSource(file), {
      partSize: 5 * MiB,
      concurrency: 1,
    });
    assert.equal(up.parts, 5);
    assert.equal(calls, 7, "five parts, two of them presigned twice");

    let gets = 0;
    const target = join(dir, "expired-download.bin");
    await downloadRanged(
      async () => {
        gets++;
        // Only the first URL is stale: later ones live long enough for a slow machine.
        const answer = await service.getObject({
          key: "mp/expired.bin",
          expiresIn: { seconds: gets === 1 ? 1n : 600n },
        });
        if (gets === 1) await sleep(2100);
        return answer;
      },
      target,
      { chunkSize: 8 * MiB },
    );
    assert.equal(gets, 2, "one expired URL, presigned again once");
    assert.ok((await readFile(target)).equals(data));
  });

  it("a state file for another object or a changed file is refused, not mixed in", async () => {
    const state = join(dir, "other.state.json");
    await writeFile(
      state,
      JSON.stringify({
        version: 1,
        bucket: "",
        key: "mp/elsewhere.bin",
        uploadToken: "x",
        uploadId: "y",
        partSize: 5 * MiB,
        source: { path: file, size: data.length, mtimeMs: 0 },
        parts: {},
      }),
    );
    await assert.rejects(suite.client.upload("mp/here.bin", file, { resumeState: state }), /another object/);
    await assert.rejects(suite.client.upload("mp/elsewhere.bin", file, { resumeState: state }), /changed since/);
  });

  it("an interrupted download kept partial resumes; without keepPartial nothing is left behind", async () => {
    const target = join(dir, "partial.bin");
    const stop = new AbortController();
    await assert.rejects(
      suite.client.download("mp/file.bin", target, {
        chunkSize: 2 * MiB,
        concurrency: 1,
        keepPartial: true,
        signal: stop.signal,
        onProgress: (p) => {
          if (p.transferred >= 9 * MiB) stop.abort();
        },
      }),
      { name: "AbortError" },
    );
    assert.ok(existsSync(`${target}.presignd-partial`) && existsSync(`${target}.presignd-partial.json`));
    assert.ok(!existsSync(target));
    const done = JSON.parse(await readFile(`${target}.presignd-partial.json`, "utf8")) as { done: number[] };
    assert.ok(done.done.length >= 4, JSON.stringify(done));
    const progress: Progress[] = [];
    await suite.client.download("mp/file.bin", target, {
      chunkSize: 2 * MiB,
      keepPartial: true,
      onProgress: (p) => progress.push(p),
    });
    assert.ok((await readFile(target)).equals(data));
    assert.ok((progress[0]?.transferred ?? 0) > 8 * MiB, "counting starts from the bytes already there");
    assert.ok(!existsSync(`${target}.presignd-partial`) && !existsSync(`${target}.presignd-partial.json`));

    const other = join(dir, "not-kept.bin");
    const halt = new AbortController();
    await assert.rejects(
      suite.client.download("mp/file.bin", other, {
        chunkSize: 2 * MiB,
        signal: halt.signal,
        onProgress: (p) => {
          if (p.transferred >= 4 * MiB) halt.abort();
        },
      }),
    );
    assert.ok(!existsSync(`${other}.presignd-partial`) && !existsSync(other));
  });

  it("presignd put streams stdin in parts; presignd get writes the file", async () => {
    const env = { PRESIGND_SERVER: suite.server.url };
    const input = data.subarray(0, 12 * MiB);
    const put = await run(PRESIGND, ["put", "mp/cli-stdin.bin", "--part-size", "5MiB", "-c", "2"], { env, input });
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stderr, /uploaded mp\/cli-stdin\.bin: 12582912 bytes in 3 parts/);
    const target = join(dir, "cli.bin");
    const get = await run(PRESIGND, ["get", "mp/cli-stdin.bin", "-f", target, "--chunk-size", "3MiB"], { env });
    assert.equal(get.code, 0, get.stderr);
    assert.ok((await readFile(target)).equals(input));
    const bad = await run(PRESIGND, ["put", "mp/x", "--part-size", "lots"], { env });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--part-size.*expected a size such as/);
    const resumeStdin = await run(PRESIGND, ["put", "mp/x", "--resume"], { env, input: "x" });
    assert.notEqual(resumeStdin.code, 0);
    assert.match(resumeStdin.stderr, /--resume needs -f\/--file/);
  });
});
