import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Webhook } from "standardwebhooks";
import { connectPresignd } from "../../src/cli/node-client.js";
import { PostgresHandleStore } from "../../src/server/handles/postgres-handle-store.js";
import { useDevS3Credentials } from "../support/dev-s3-credentials.js";
import { homePolicy, KEYS, writePolicy } from "../support/policy.js";
import { type Postgres, startPostgres } from "../support/postgres.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import {
  type ReceivedHook,
  startWebhookReceiver,
  WEBHOOK_SECRET,
  type WebhookReceiver,
} from "../support/webhook-receiver.js";

const LEASE_MS = 1500;
const keyOf = (hook: ReceivedHook) => (JSON.parse(hook.body) as { object: { key: string } }).object.key;
const cursorOf = (hook: ReceivedHook) => BigInt((JSON.parse(hook.body) as { cursor: string }).cursor);

// Two presignd instances (A, B) with webhooks on one PostgreSQL handle store,
// signing for the embedded S3 of a third (S, no webhooks): one instance at a
// time delivers, each event once; the other takes over when the holder stops,
// or when a holder that died (it never released its lease) lets it expire.
describe("webhooks across instances sharing a PostgreSQL store", () => {
  let postgres: Postgres;
  let s3: TestServer;
  let a: TestServer;
  let b: TestServer;
  let receiver: WebhookReceiver;
  /** When the lease of an instance that "died" holding it expires (performance.now() clock). */
  let ghostExpiresAt: number;
  const stopped = new Set<TestServer>();
  let restoreCredentials = () => {};
  const as = (server: TestServer) =>
    connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.alice } }).service;
  const upload = async (server: TestServer, key: string, body: string) => {
    const put = await as(server).putObject({ key, contentLength: BigInt(body.length) });
    assert.equal((await fetch(put.url, { method: "PUT", headers: put.headers, body })).status, 200);
  };
  const delivering = (server: TestServer) => server.logs.filter((l) => l.msg === "webhooks: delivering").length;

  before(async () => {
    postgres = await startPostgres();
    const handleStore = await postgres.createDatabase("webhooks");
    // An instance that took the lease and died: its lease must run out before anyone delivers.
    const ghost = await PostgresHandleStore.open(handleStore);
    await ghost.webhooks.init(0n, new Date());
    const until = Date.now() + 3 * LEASE_MS;
    assert.ok(await ghost.webhooks.claim("ghost", new Date(), new Date(until)));
    ghostExpiresAt = performance.now() + (until - Date.now());
    await ghost.close();
    receiver = await startWebhookReceiver();
    const policy = await writePolicy(homePolicy({ operations: ["put"] }));
    s3 = await startTestServer({ policy });
    restoreCredentials = useDevS3Credentials();
    const instance = () =>
      startTestServer(
        {
          dev: false,
          policy,
          handleStore,
          watchPollInterval: "100ms",
          endpoint: s3.devS3Endpoint ?? "",
          bucket: ["dev"],
          region: "us-east-1",
          pathStyle: true,
          webhookUrl: receiver.url,
          webhookSecret: WEBHOOK_SECRET,
        },
        { webhookTiming: { leaseMs: LEASE_MS, pollMs: 50, standbyMs: 100 } },
      );
    [a, b] = await Promise.all([instance(), instance()]);
  });
  after(async () => {
    await Promise.all([a, b].map((server) => server && !stopped.has(server) && server.close()));
    await s3?.close();
    await receiver?.close();
    await postgres?.close();
    restoreCredentials();
  });

  it("waits out a dead holder's lease, then one instance delivers each event exactly once", async () => {
    await upload(a, "users/alice/first.txt", "first");
    const [first] = await receiver.waitFor(1, 15_000);
    assert.ok(first && first.at >= ghostExpiresAt - 50, "nothing before the dead holder's lease expired");
    const keys = ["users/alice/1.txt", "users/alice/2.txt", "users/alice/3.txt", "users/alice/4.txt"];
    for (const [i, key] of keys.entries()) await upload(i % 2 ? b : a, key, `body ${i}`);
    await receiver.waitFor(5, 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    // In cursor order: the order the uploads landed (a poller run that finds two lands them in either order).
    const cursors = receiver.received.map(cursorOf);
    assert.deepEqual(
      cursors,
      [...cursors].sort((x, y) => (x < y ? -1 : 1)),
      "in cursor order",
    );
    assert.equal(new Set(cursors).size, 5, "each once");
    assert.equal(keyOf(receiver.received[0] as ReceivedHook), "users/alice/first.txt");
    assert.deepEqual(receiver.received.slice(1).map(keyOf).sort(), keys);
    assert.equal(new Set(receiver.received.map((h) => h.headers["webhook-id"])).size, 5);
    for (const h of receiver.received) new Webhook(WEBHOOK_SECRET).verify(h.body, h.headers as Record<string, string>);
    assert.deepEqual([delivering(a) + delivering(b), Math.min(delivering(a), delivering(b))], [1, 0], "one holder");
  });

  it("the other instance takes over when the holder stops", async () => {
    const [holder, other] = delivering(a) > 0 ? [a, b] : [b, a];
    stopped.add(holder);
    await holder.close();
    await upload(other, "users/alice/after-stop.txt", "taken over");
    await receiver.waitFor(6, 15_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(receiver.received.length, 6);
    const last = receiver.received[5] as ReceivedHook;
    assert.equal(keyOf(last), "users/alice/after-stop.txt");
    assert.equal(delivering(other), 1, "the other instance holds the lease now");
    // The same store's ids: the same stable prefix, the next sequence number.
    const prefix = (h: ReceivedHook) => String(h.headers["webhook-id"]).replace(/_\d+$/, "");
    assert.equal(prefix(last), prefix(receiver.received[0] as ReceivedHook));
  });
});
