import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { toJsonString } from "@bufbuild/protobuf";
import { Webhook } from "standardwebhooks";
import { connectPresignd } from "../../src/cli/node-client.js";
import { type UploadLanded, UploadLandedSchema } from "../../src/gen/presign/v1/presign_pb.js";
import { homePolicy, KEYS, writePolicy } from "../support/policy.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import {
  type ReceivedHook,
  startWebhookReceiver,
  WEBHOOK_SECRET,
  type WebhookReceiver,
} from "../support/webhook-receiver.js";

const policy = homePolicy({ operations: ["put", "confirm", "watch"] });
const BASE_DELAY_MS = 80;
const PREFIX = "users/alice/hooks/";

/** The receiver's answers, by the key in the body: "flaky" keys fail twice, "broken" keys always. */
function answer(hook: { body: string }, _index: number, tries: Map<string, number>): number {
  const key = (JSON.parse(hook.body) as { object: { key: string } }).object.key;
  const n = (tries.get(key) ?? 0) + 1;
  tries.set(key, n);
  if (key.includes("broken")) return 500;
  if (key.includes("flaky") && n <= 2) return 500;
  return 200;
}

const keyOf = (hook: ReceivedHook) => (JSON.parse(hook.body) as { object: { key: string } }).object.key;

describe("webhooks", () => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  const alice = () => connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.alice } }).service;
  const upload = async (key: string, body: string) => {
    const put = await alice().putObject({ key, contentLength: BigInt(body.length), contentType: "text/plain" });
    const res = await fetch(put.url, { method: "PUT", headers: put.headers, body });
    assert.equal(res.status, 200, await res.text());
  };
  const hooksFor = (key: string) => receiver.received.filter((h) => keyOf(h) === key);
  const waitForKey = async (key: string, count: number, ms = 15_000) => {
    const deadline = Date.now() + ms;
    while (hooksFor(key).length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(hooksFor(key).length, count, `${count} requests for ${key} within ${ms} ms`);
    return hooksFor(key);
  };
  const counted = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const count = (outcome: string) =>
      Number(new RegExp(`^presignd_webhook_deliveries_total\\{outcome="${outcome}"\\} (\\d+)$`, "m").exec(text)?.[1]);
    return { delivered: count("delivered"), retried: count("retried"), failed: count("failed") };
  };

  before(async () => {
    const tries = new Map<string, number>();
    receiver = await startWebhookReceiver((hook, index) => answer(hook, index, tries));
    server = await startTestServer(
      {
        policy: await writePolicy(policy),
        watchPollInterval: "100ms",
        webhookUrl: receiver.url,
        webhookSecret: WEBHOOK_SECRET,
        webhookPrefix: PREFIX,
        webhookMaxAttempts: "3",
      },
      { webhookTiming: { baseDelayMs: BASE_DELAY_MS, pollMs: 50 } },
    );
  });
  after(async () => {
    await server?.close();
    await receiver?.close();
  });

  it("POSTs a landed upload once, signed, with the JSON a Connect watcher gets", async () => {
    const controller = new AbortController();
    const watched: UploadLanded[] = [];
    const watching = (async () => {
      try {
        for await (const e of alice().watchUploads({ prefix: PREFIX }, { signal: controller.signal })) watched.push(e);
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      }
    })();
    try {
      await new Promise((r) => setTimeout(r, 200));
      const before = await counted();
      await upload("users/alice/elsewhere/not-hooked.txt", "outside the prefix");
      await upload(`${PREFIX}cat.txt`, "meow");
      const [hook] = await waitForKey(`${PREFIX}cat.txt`, 1);
      assert.ok(hook);
      assert.equal(hook.headers["content-type"], "application/json");
      assert.match(String(hook.headers["webhook-id"]), /^upload_[0-9a-f]{16}_[1-9][0-9]*$/);
      assert.match(String(hook.headers["webhook-timestamp"]), /^\d{10}$/);
      const payload = new Webhook(WEBHOOK_SECRET).verify(hook.body, hook.headers as Record<string, string>) as {
        cursor: string;
        object: { bucket: string; key: string; size: string; contentType: string };
        kind: string;
        verified: string[];
      };
      assert.equal(payload.object.bucket, "dev");
      assert.equal(payload.object.key, `${PREFIX}cat.txt`);
      assert.equal(payload.object.size, "4");
      assert.equal(payload.object.contentType, "text/plain");
      assert.equal(payload.kind, "UPLOAD_KIND_PUT");
      assert.deepEqual([...payload.verified].sort(), ["content_length", "content_type"]);
      assert.ok(String(hook.headers["webhook-id"]).endsWith(`_${payload.cursor}`), "the id names the event");
      // Another secret does not verify it, nor does a changed body.
      const other = `whsec_${Buffer.alloc(32, 7).toString("base64")}`;
      assert.throws(() => new Webhook(other).verify(hook.body, hook.headers as Record<string, string>));
      assert.throws(() =>
        new Webhook(WEBHOOK_SECRET).verify(hook.body.replace('"4"', '"5"'), hook.headers as Record<string, string>),
      );
      // Byte for byte what the Connect watcher of the same prefix got.
      for (let i = 0; i < 100 && watched.length < 1; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal(watched.length, 1);
      assert.equal(hook.body, toJsonString(UploadLandedSchema, watched[0] as UploadLanded));
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(hooksFor(`${PREFIX}cat.txt`).length, 1, "once");
      assert.equal(hooksFor("users/alice/elsewhere/not-hooked.txt").length, 0, "--webhook-prefix filters");
      const after = await counted();
      assert.equal(after.delivered - before.delivered, 1);
    } finally {
      controller.abort();
      await watching;
    }
  });

  it("retries a failing receiver with growing delays: 500, 500, then 200 on the third attempt", async () => {
    const before = await counted();
    const key = `${PREFIX}flaky.txt`;
    await upload(key, "third time lucky");
    const hooks = await waitForKey(key, 3);
    assert.deepEqual(
      hooks.map((h) => h.status),
      [500, 500, 200],
    );
    // One message: the same id each time, each attempt signed anew (and verifiable).
    assert.equal(new Set(hooks.map((h) => h.headers["webhook-id"])).size, 1);
    for (const h of hooks) new Webhook(WEBHOOK_SECRET).verify(h.body, h.headers as Record<string, string>);
    const [first, second, third] = hooks.map((h) => h.at) as [number, number, number];
    // Delays: base·2^(n-1), each shortened by at most half (jitter): [40, 80] ms, then [80, 160] ms.
    assert.ok(second - first >= BASE_DELAY_MS / 2, `first delay ${second - first} ms`);
    assert.ok(third - second >= BASE_DELAY_MS, `second delay ${third - second} ms`);
    const retries = server.logs.filter((l) => l.msg === "webhook delivery failed; retrying" && l.reason === "HTTP 500");
    const delays = retries.slice(-2).map((l) => l.retry_in_ms as number);
    assert.deepEqual(
      retries.slice(-2).map((l) => l.attempt),
      [1, 2],
    );
    assert.ok((delays[0] as number) < (delays[1] as number), `delays grow: ${delays}`);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(hooksFor(key).length, 3, "nothing after the 2xx");
    const after = await counted();
    assert.deepEqual(
      { delivered: after.delivered - before.delivered, retried: after.retried - before.retried },
      { delivered: 1, retried: 2 },
    );
  });

  it("gives up an event after --webhook-max-attempts, logs it by seq, and delivers the next one", async () => {
    const before = await counted();
    await upload(`${PREFIX}broken.txt`, "never accepted");
    // Its first attempt seen, it has landed: the next upload lands after it, so it comes after it in
    // cursor order, the order of delivery (the poller may land uploads found in one run in any order).
    await waitForKey(`${PREFIX}broken.txt`, 1);
    await upload(`${PREFIX}next-one.txt`, "next");
    const broken = await waitForKey(`${PREFIX}broken.txt`, 3);
    await waitForKey(`${PREFIX}next-one.txt`, 1);
    assert.ok(
      receiver.received.indexOf(broken[2] as ReceivedHook) <
        receiver.received.indexOf(hooksFor(`${PREFIX}next-one.txt`)[0] as ReceivedHook),
      "in order",
    );
    const seq = (JSON.parse(broken[0]?.body ?? "{}") as { cursor: string }).cursor;
    const given = server.logs.filter((l) => l.level === 50 && l.seq === seq);
    assert.equal(given.length, 1, "one error line naming the event");
    assert.match(String(given[0]?.msg), new RegExp(`event ${seq} failed 3 times: given up`));
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(hooksFor(`${PREFIX}broken.txt`).length, 3, "3 attempts, no more");
    const after = await counted();
    assert.deepEqual(
      {
        failed: after.failed - before.failed,
        retried: after.retried - before.retried,
        delivered: after.delivered - before.delivered,
      },
      { failed: 1, retried: 2, delivered: 1 },
    );
  });

  it("never logs the secret", () => {
    const text = server.logText();
    assert.ok(text.includes("webhooks on"), "the server logged its webhook start-up");
    assert.ok(!text.includes(WEBHOOK_SECRET));
    assert.ok(!text.includes(WEBHOOK_SECRET.slice("whsec_".length)));
  });
});

describe("webhooks at shutdown", () => {
  it("stops at once, in the middle of a backoff", async () => {
    const receiver = await startWebhookReceiver(() => 503);
    const server = await startTestServer(
      {
        policy: await writePolicy(policy),
        watchPollInterval: "100ms",
        webhookUrl: receiver.url,
        webhookSecret: WEBHOOK_SECRET,
      },
      // A 60–120 s backoff after the first failure: stop must not wait it out.
      { webhookTiming: { baseDelayMs: 120_000, pollMs: 50 } },
    );
    let closed = false;
    try {
      const client = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.alice } }).service;
      const put = await client.putObject({ key: "users/alice/stop.txt", contentLength: 4n });
      assert.equal((await fetch(put.url, { method: "PUT", headers: put.headers, body: "stop" })).status, 200);
      await receiver.waitFor(1);
      const started = performance.now();
      await server.close({ drainDelayMs: 0, timeoutMs: 1000 });
      closed = true;
      assert.ok(performance.now() - started < 3000, `closed in ${performance.now() - started} ms`);
      assert.equal(receiver.received.length, 1);
    } finally {
      if (!closed) await server.close();
      await receiver.close();
    }
  });
});
