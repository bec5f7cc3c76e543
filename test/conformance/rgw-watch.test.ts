import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import type { LandedUpload } from "@presignd/client";
import { ALLOW_ALL, KEYS, writePolicy } from "../support/policy.js";
import { type Postgres, startPostgres } from "../support/postgres.js";
import { presigndForRgw, type RgwPresignd, rgwFromEnv, setupRgwNotifications } from "../support/rgw.js";
import { PRESIGND, run, start } from "../support/run.js";
import { tempDir } from "../support/temp-dir.js";
import { waitFor } from "../support/wait-for.js";

/** Waits until `ready()` holds, failing with `what` after `timeoutMs`. */
const until = (ready: () => boolean, timeoutMs: number, what: string) =>
  waitFor(() => (ready() ? true : undefined), timeoutMs).catch(() => assert.fail(`waited in vain for ${what}`));

// WatchUploads against RGW with its real bucket notifications, as a backend would run it: two presignd
// instances in front of one RGW and one PostgreSQL handle store, RGW pushing to A (`presignd
// notifications setup`), the pollers set to an hour so that only RGW's notifications can deliver.
// Uploads signed on A land for watchers connected to B; A's HEADs prove each event. A watcher whose
// instance restarts reconnects and resumes from its cursor: what landed while it was away comes first,
// and nothing twice.
describe("WatchUploads against RGW's notifications: two instances on one PostgreSQL store, the CLI watcher, a resumed watch", () => {
  const rgw = rgwFromEnv();
  // A bucket of its own: its notification (left in place: RGW 16 answers an empty
  // PutBucketNotificationConfiguration with an error) must not push other suites' uploads anywhere.
  const bucket = `watch-${randomBytes(4).toString("hex")}`;
  const secret = randomBytes(24).toString("hex");
  const s3 = new S3Client({ region: "us-east-1", endpoint: rgw.endpoint, forcePathStyle: true });
  let postgres: Postgres;
  let handleStore: string;
  let a: RgwPresignd;
  let b: RgwPresignd;
  let dir: string;
  const options = () => ({
    bucket: [bucket],
    handleStore,
    watchPollInterval: "1h",
    notificationSecret: secret,
    provider: "ceph" as const,
  });

  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    postgres = await startPostgres();
    handleStore = await postgres.createDatabase("rgwwatch");
    a = await presigndForRgw(rgw, options());
    b = await presigndForRgw(rgw, options());
    dir = tempDir("rgw-watch");
    const setup = await setupRgwNotifications(rgw, {
      bucket,
      secret,
      policy: await writePolicy(ALLOW_ALL),
      pushEndpoint: `${a.server.url}/s3-notifications`,
      topic: `presignd-${bucket}`,
    });
    assert.equal(setup.code, 0, setup.stderr);
  });
  after(async () => {
    s3.destroy();
    await Promise.all([a?.server.close(), b?.server.close()]);
    await postgres?.close();
  });

  it("a `presignd watch --json` on B sees what `presignd put` uploaded through A, once each, verified by A's HEAD", async () => {
    const watcher = start(PRESIGND, ["watch", "cli/", "--json"], {
      env: { PRESIGND_SERVER: b.server.url, PRESIGND_API_KEY: KEYS.admin },
    });
    const out: string[] = [];
    watcher.child.stdout?.on("data", (c: Buffer) => out.push(c.toString()));
    const events = () =>
      out
        .join("")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { key: string; size: number; kind: string; verified: string[]; cursor: string });
    try {
      const small = join(dir, "small.bin");
      await writeFile(small, randomBytes(3000));
      const big = join(dir, "big.bin");
      await writeFile(big, randomBytes(11 * 1024 * 1024));
      const env = { PRESIGND_SERVER: a.server.url, PRESIGND_API_KEY: KEYS.admin };
      // The watcher may still be connecting: its stream starts at the newest event, so wait for it to be
      // there before the first upload (the uploads after it are what it must see).
      await new Promise((r) => setTimeout(r, 1500));
      for (const [key, file, extra] of [
        ["cli/small.bin", small, []],
        ["cli/big.bin", big, ["--multipart-threshold", "5MiB", "--part-size", "5MiB"]],
      ] as const) {
        const put = await run(PRESIGND, ["put", key, "-f", file, "-q", ...extra], { env });
        assert.equal(put.code, 0, put.stderr);
      }
      await until(() => events().length >= 2, 20_000, "two events from the CLI watcher");
      await new Promise((r) => setTimeout(r, 1000));
      const seen = events();
      assert.deepEqual(
        seen.map((e) => [e.key, e.size, e.kind]),
        [
          ["cli/small.bin", 3000, "put"],
          ["cli/big.bin", 11 * 1024 * 1024, "multipart"],
        ],
      );
      for (const e of seen) assert.ok(e.verified.includes("content_length"), `${e.key}: ${e.verified}`);
    } finally {
      watcher.child.kill("SIGINT");
      const done = await watcher.result;
      // Interrupted: it says where to resume, never a stack trace.
      assert.doesNotMatch(done.stderr, /\n\s+at /);
    }
  });

  it("a watch on B that B's restart ends resumes from its cursor: the upload it missed comes first, once", async () => {
    const port = Number(new URL(b.server.url).port);
    const seen: LandedUpload[] = [];
    const controller = new AbortController();
    const watching = (async () => {
      try {
        for await (const up of b.client.watchUploads("resume/", { signal: controller.signal })) seen.push(up);
      } catch (error) {
        if (!controller.signal.aborted) seen.push({ key: `watch failed: ${(error as Error).message}` } as LandedUpload);
      }
    })();
    const put = async (p: RgwPresignd, key: string, body: Buffer) => {
      const r = await p.client.upload(key, body);
      assert.ok(r, key);
    };
    try {
      await new Promise((r) => setTimeout(r, 1000));
      await put(a, "resume/before.bin", randomBytes(10));
      await until(() => seen.length >= 1, 10_000, "the first event");
      // B stops (its streams end), an upload lands on A meanwhile, and B comes back on the same port.
      await b.server.close();
      await put(a, "resume/while-away.bin", randomBytes(20));
      b = await presigndForRgw(rgw, { ...options(), addr: `127.0.0.1:${port}` });
      await put(a, "resume/after.bin", randomBytes(30));
      await until(() => seen.length >= 3, 40_000, "three events");
      await new Promise((r) => setTimeout(r, 1000));
      assert.deepEqual(
        seen.map((u) => [u.key, u.size]),
        [
          ["resume/before.bin", 10],
          ["resume/while-away.bin", 20],
          ["resume/after.bin", 30],
        ],
      );
      const cursors = seen.map((u) => BigInt(u.cursor));
      assert.deepEqual(
        [...cursors].sort((x, y) => (x < y ? -1 : 1)),
        cursors,
        `cursors in order: ${cursors}`,
      );
      assert.equal(new Set(cursors).size, 3, "three distinct events");
    } finally {
      controller.abort();
      await watching;
    }
  });
});
