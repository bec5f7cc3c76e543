import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import { type Duration, DurationSchema } from "@bufbuild/protobuf/wkt";
import type { Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import {
  createPresignClient,
  fileStateStore,
  isAbortError,
  isPresignClientError,
  type Progress,
} from "@presignd/client/node";
import { PRESIGND, run } from "../support/run.js";
import { serverForSuite } from "../support/test-server.js";

const MiB = 1024 * 1024;

/** A record of a fileStateStore file (each record is a JSON string under its id). */
function savedRecord<T>(text: string, id: string): T {
  const records = JSON.parse(text) as Record<string, string>;
  return JSON.parse(records[id] ?? assert.fail(`no record ${id} in ${text}`)) as T;
}

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
      params: { contentType: "application/octet-stream" },
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

  it("an abort while a stream's next part is still being read stops at once, and releases the stream", async () => {
    // Part 1 and a little more, then the stream waits (stdin with nothing more to read yet).
    const stream = new PassThrough();
    stream.write(data.subarray(0, 6 * MiB));
    const stop = new AbortController();
    const upload = suite.client.upload("mp/stalled-stream.bin", stream, {
      partSize: 5 * MiB,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.transferred >= 5 * MiB) stop.abort();
      },
    });
    const outcome = await Promise.race([
      upload.catch((e: unknown) => e),
      sleep(10_000, "still waiting for the stream 10 s after the abort", { ref: false }),
    ]);
    assert.ok(isAbortError(outcome), String(outcome));
    assert.ok(stream.destroyed, "the source stream is released");
  });

  it("an interrupted upload with a state file resumes where it stopped", async () => {
    const state = join(dir, "upload.state.json");
    const stop = new AbortController();
    const first = await suite.client
      .upload("mp/resumed.bin", file, {
        partSize: 5 * MiB,
        concurrency: 1,
        // keepOnAbort: an abort is an interruption to resume, not a cancel.
        resume: { store: fileStateStore(state), keepOnAbort: true },
        signal: stop.signal,
        onProgress: (p) => {
          if (p.transferred >= 11 * MiB) stop.abort();
        },
      })
      .then(
        () => assert.fail("the upload should have been interrupted"),
        (error: unknown) => error,
      );
    assert.ok(isAbortError(first), String(first));
    const saved = savedRecord<{ parts: Record<string, string> }>(
      await readFile(state, "utf8"),
      "upload:/mp/resumed.bin",
    );
    assert.ok(Object.keys(saved.parts).length >= 2, JSON.stringify(saved.parts));
    const progress: Progress[] = [];
    const second = await suite.client.upload("mp/resumed.bin", file, {
      partSize: 5 * MiB,
      resume: { store: fileStateStore(state) },
      onProgress: (p) => progress.push(p),
    });
    assert.equal(second.parts, 5);
    assert.ok((second.resumedParts ?? 0) >= 2);
    assert.ok((progress[0]?.transferred ?? 0) >= 10 * MiB, "counting starts from the parts already there");
    assert.ok(!existsSync(state), "the state file goes once the upload completed");
    const target = join(dir, "resumed.bin");
    await suite.client.download("mp/resumed.bin", target);
    assert.ok((await readFile(target)).equals(data));
  });

  it("a part whose URL expired before it was sent is presigned again, and so is a download's URL", async () => {
    let parts = 0;
    let stale = 0;
    let gets = 0;
    // Hands out URLs that live 1 s and are already expired when the client
    // gets them: the first two part URLs and the first GET.
    const expiring: Interceptor = (next) => async (request) => {
      const name = request.method.name;
      if (name === "PresignUploadParts") parts++;
      if (name === "GetObject") gets++;
      const expire = (name === "PresignUploadParts" && stale < 2) || (name === "GetObject" && gets === 1);
      if (!expire) return next(request);
      if (name === "PresignUploadParts") stale++;
      (request.message as { expiresIn?: Duration }).expiresIn = create(DurationSchema, { seconds: 1n });
      const answer = await next(request);
      await sleep(2100);
      return answer;
    };
    const client = createPresignClient({
      transport: createConnectTransport({ baseUrl: suite.server.url, httpVersion: "1.1", interceptors: [expiring] }),
    });
    const up = await client.upload("mp/expired.bin", file, {
      partSize: 5 * MiB,
      concurrency: 1,
      multipartThreshold: MiB,
    });
    assert.equal(up.parts, 5);
    assert.equal(parts, 7, "five parts, two of them presigned twice");

    const target = join(dir, "expired-download.bin");
    await client.download("mp/expired.bin", target, { chunkSize: 8 * MiB });
    assert.equal(gets, 2, "one expired URL, presigned again once");
    assert.ok((await readFile(target)).equals(data));
  });

  it("a state record for another object is not mixed in; one for changed bytes is refused", async () => {
    const state = join(dir, "other.state.json");
    const record = {
      version: 1,
      bucket: "",
      key: "mp/elsewhere.bin",
      uploadToken: "x",
      uploadId: "y",
      partSize: 5 * MiB,
      size: data.length,
      fingerprint: `${file}|${data.length}|0`,
      parts: {},
    };
    const stored = JSON.stringify({ "upload:/mp/elsewhere.bin": JSON.stringify(record) });
    await writeFile(state, stored);
    // Records are kept per bucket and key: another object's upload starts afresh, leaving it be.
    const here = await suite.client.upload("mp/here.bin", file, { resume: { store: fileStateStore(state) } });
    assert.equal(here.resumedParts, 0);
    assert.equal(await readFile(state, "utf8"), stored);
    const changed = await suite.client
      .upload("mp/elsewhere.bin", file, { resume: { store: fileStateStore(state) } })
      .catch((e: unknown) => e);
    assert.ok(isPresignClientError(changed), String(changed));
    assert.match(changed.message, /changed since/);
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
      { name: "TransferAbortedError" },
    );
    assert.ok(existsSync(`${target}.presignd-partial`) && existsSync(`${target}.presignd-partial.json`));
    assert.ok(!existsSync(target));
    const done = savedRecord<{ done: number[] }>(await readFile(`${target}.presignd-partial.json`, "utf8"), "download");
    assert.ok(done.done.length >= 4, JSON.stringify(done));
    const progress: Progress[] = [];
    await suite.client.download("mp/file.bin", target, {
      chunkSize: 2 * MiB,
      keepPartial: true,
      onProgress: (p) => progress.push(p),
    });
    assert.ok((await readFile(target)).equals(data));
    assert.deepEqual(
      progress[0],
      { transferred: done.done.length * 2 * MiB, total: data.length },
      "counting starts from the bytes already there",
    );
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

  it("an abort from the progress callback as a range's last bytes arrive stops the download at once", async () => {
    // 1 MiB ranges are one write batch: progress is reported, and the abort comes, with the
    // range's body fully received but not yet read to its end.
    const target = join(dir, "aborted-at-range-end.bin");
    const stop = new AbortController();
    const download = suite.client.download("mp/file.bin", target, {
      chunkSize: MiB,
      concurrency: 1,
      keepPartial: true,
      signal: stop.signal,
      onProgress: (p) => {
        if (p.transferred >= 3 * MiB) stop.abort();
      },
    });
    const outcome = await Promise.race([
      download.catch((e: unknown) => e),
      sleep(10_000, "still downloading 10 s after the abort", { ref: false }),
    ]);
    assert.ok(isAbortError(outcome), String(outcome));
    assert.ok(existsSync(`${target}.presignd-partial.json`), "the ranges done are kept");
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
