import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { connectPresignd, type NodePresignClient } from "../../src/cli/node-client.js";
import { Operation } from "../../src/gen/presign/v1/presign_pb.js";
import { type DevS3, startDevS3 } from "../../src/server/s3/dev-s3.js";
import type { RunningServer } from "../../src/server/start.js";
import { homePolicy, KEYS, writePolicy } from "../support/policy.js";
import { startProductionServer } from "../support/production-server.js";
import { refusal } from "../support/refusal.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

type Presigned = { url: string; expiresAt?: { seconds: bigint } | undefined };

/** X-Amz-Date as epoch seconds. */
function signedAt(url: string): number {
  const date = new URL(url).searchParams.get("X-Amz-Date") ?? assert.fail("no X-Amz-Date");
  const iso = date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z");
  return Date.parse(iso) / 1000;
}

/**
 * The same call twice in quick succession; once more should a window
 * boundary fall between them (their X-Amz-Dates then differ).
 */
async function twice(call: () => Promise<Presigned>): Promise<[Presigned, Presigned]> {
  for (let attempt = 0; ; attempt++) {
    const first = await call();
    const second = await call();
    if (signedAt(first.url) === signedAt(second.url) || attempt > 0) return [first, second];
  }
}

async function refused(call: Promise<unknown>, code: Code, message: RegExp): Promise<void> {
  const error = await refusal(call);
  assert.equal(Code[error.code], Code[code], error.rawMessage);
  assert.match(error.rawMessage, message);
}

describe("cache windows: cacheable GET and HEAD URLs", () => {
  let server: TestServer;
  let alice: NodePresignClient;
  before(async () => {
    const policy = homePolicy({ operations: ["get", "head", "put"], rule: "    cache_window: 10m\n" });
    server = await startTestServer({ policy: await writePolicy(policy) });
    alice = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.alice } });
  });
  after(() => server.close());

  type Seconds = { seconds: bigint };
  const get = (
    extra: { key?: string; expiresIn?: Seconds; cacheWindow?: Seconds; overrides?: { contentType: string } } = {},
  ) => alice.service.getObject({ key: "users/alice/photo.jpg", expiresIn: { seconds: 3600n }, ...extra });

  it("the rule's window: byte-identical URLs, signed as of the window start, expiring an hour after it", async () => {
    const [first, second] = await twice(() => get({ overrides: { contentType: "image/jpeg" } }));
    assert.equal(second.url, first.url);
    const start = signedAt(first.url);
    assert.equal(start % 600, 0);
    assert.ok(Date.now() / 1000 - start < 600 + 1);
    assert.equal(new URL(first.url).searchParams.get("X-Amz-Expires"), "3600");
    assert.equal(first.expiresAt?.seconds, BigInt(start + 3600));
    // At least lifetime - window left when handed out.
    assert.ok(Number(first.expiresAt?.seconds) - Date.now() / 1000 > 3600 - 600);
  });

  it("the audit record's ttl_s is the lifetime left, not the signed X-Amz-Expires", async () => {
    const presigned = await get({ key: "users/alice/audited.jpg" });
    const record = server.logs.find((l) => l.audit === true && l.key === "users/alice/audited.jpg");
    const left = Number(presigned.expiresAt?.seconds) - Math.floor(Date.now() / 1000);
    assert.ok(record, "an audit record");
    assert.ok(Math.abs(Number(record.ttl_s) - left) <= 1, `ttl_s ${record.ttl_s}, left ${left}`);
    assert.ok(Number(record.ttl_s) <= 3600 && Number(record.ttl_s) > 3600 - 600);
  });

  it("a request's shorter window overrides the rule's; a longer one is refused naming cache_window", async () => {
    const presigned = await get({ cacheWindow: { seconds: 60n } });
    assert.equal(signedAt(presigned.url) % 60, 0);
    assert.equal(presigned.expiresAt?.seconds, BigInt(signedAt(presigned.url) + 3600));
    await refused(
      get({ cacheWindow: { seconds: 1200n } }),
      Code.InvalidArgument,
      /^cache_window: 20m is longer than the 10m the allowing rule permits$/,
    );
  });

  it("a window longer than the lifetime asked for is refused naming cache_window", () =>
    refused(
      get({ expiresIn: { seconds: 300n } }),
      Code.InvalidArgument,
      /^cache_window: 10m is longer than the URL's lifetime of 5m/,
    ));

  it("HEAD and BatchGetObject items take windows too; PUT is signed fresh", async () => {
    const head = await alice.service.headObject({ key: "users/alice/photo.jpg", expiresIn: { seconds: 3600n } });
    assert.equal(signedAt(head.url) % 600, 0);
    const batch = await alice.service.batchGetObject({
      requests: [
        { key: "users/alice/a", expiresIn: { seconds: 3600n } },
        { key: "users/alice/b", expiresIn: { seconds: 3600n }, cacheWindow: { seconds: 5n } },
      ],
    });
    assert.equal(signedAt(batch.requests[0]?.url ?? "") % 600, 0);
    assert.equal(signedAt(batch.requests[1]?.url ?? "") % 5, 0);
    await refused(
      alice.service.batchGetObject({
        requests: [
          { key: "users/alice/a", expiresIn: { seconds: 3600n } },
          { key: "users/alice/b", expiresIn: { seconds: 60n } },
        ],
      }),
      Code.InvalidArgument,
      /^requests\[1\]\.cache_window: 10m is longer than the URL's lifetime of 1m/,
    );
    // The rule's window is for GET and HEAD only: an upload URL is signed as of now.
    const put = await alice.service.putObject({ key: "users/alice/up", contentLength: 1n });
    assert.ok(Math.abs(signedAt(put.url) - Date.now() / 1000) < 5);
  });

  it("through a handle: the URL ends no later than the handle; a window longer than its life left is refused", async () => {
    const { handle, expiresAt } = await alice.service.createHandle({
      key: "users/alice/photo.jpg",
      operations: [Operation.GET],
      expiresIn: { seconds: 1800n },
    });
    const presigned = await alice.service.getObject({ handle, expiresIn: { seconds: 3600n } });
    assert.equal(signedAt(presigned.url) % 600, 0);
    assert.ok((presigned.expiresAt?.seconds ?? 0n) <= (expiresAt?.seconds ?? 0n));
    const short = await alice.service.createHandle({
      key: "users/alice/photo.jpg",
      operations: [Operation.GET],
      expiresIn: { seconds: 300n },
    });
    await refused(
      alice.service.getObject({ handle: short.handle, expiresIn: { seconds: 3600n } }),
      Code.InvalidArgument,
      /^cache_window: 10m is longer than the URL's lifetime of [45]m/,
    );
  });

  it("the URL works: the embedded S3 serves the object through a URL dated back to the window start", async () => {
    const upload = await alice.service.putObject({ key: "users/alice/served.txt", contentLength: 5n });
    assert.equal((await fetch(upload.url, { method: "PUT", body: "hello" })).status, 200);
    const presigned = await get({ key: "users/alice/served.txt" });
    const res = await fetch(presigned.url);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "hello");
  });
});

describe("cache windows across two instances with the same S3 credentials", () => {
  let s3: DevS3;
  let dataDir: string;
  const servers: RunningServer[] = [];
  const saved = { ...process.env };
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "presignd-cache-window-"));
    s3 = await startDevS3({ dataDir, host: "127.0.0.1", port: 0, buckets: ["shared"] });
    Object.assign(process.env, {
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_CONFIG_FILE: join(dataDir, "no-config"),
      AWS_SHARED_CREDENTIALS_FILE: join(dataDir, "no-credentials"),
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    });
    for (let i = 0; i < 2; i++)
      servers.push(await startProductionServer({ bucket: ["shared"], endpoint: s3.endpoint }));
  });
  after(async () => {
    for (const server of servers) await server.close();
    await s3.close();
    await rm(dataDir, { recursive: true, force: true });
    process.env = saved;
  });

  it("give the same request byte-identical URLs", async () => {
    const [a, b] = servers.map((s) => connectPresignd({ baseUrl: s.url, headers: { "x-api-key": KEYS.admin } }));
    const request = {
      key: "shared/page.html",
      expiresIn: { seconds: 3600n },
      cacheWindow: { seconds: 1800n },
      overrides: { cacheControl: "max-age=60" },
    };
    let turn = 0;
    const [first, second] = await twice(() => ((turn++ % 2 === 0 ? a : b) ?? assert.fail()).service.getObject(request));
    assert.equal(second.url, first.url);
    assert.equal(signedAt(first.url) % 1800, 0);
  });
});
