import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { connectPresignd } from "../../src/cli/node-client.js";
import { DEV_CREDENTIALS } from "../../src/server/s3/dev-s3.js";
import { homePolicy, KEYS, writePolicy } from "../support/policy.js";
import { parsePrometheusText } from "../support/prometheus-text.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { watching } from "../support/watching.js";

const SECRET = "notification-secret-for-tests-0123";
const policy = homePolicy({ operations: ["put", "watch"] });

/** A notification as Ceph RGW 16 sends it (one record; key as is, opaqueData the topic's). */
function rgwNotification(key: string, opaqueData: string | undefined, eventName = "ObjectCreated:Put") {
  return {
    Records: [
      {
        eventVersion: "2.2",
        eventSource: "ceph:s3",
        eventName,
        s3: { configurationId: "presignd", bucket: { name: "dev" }, object: { key, size: 4 } },
        ...(opaqueData === undefined ? {} : { opaqueData }),
      },
    ],
  };
}

describe("POST /s3-notifications (RGW bucket notifications)", () => {
  let server: TestServer;
  const alice = () => connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.alice } }).service;
  const post = (body: unknown, raw?: string) =>
    fetch(`${server.url}/s3-notifications`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: raw ?? JSON.stringify(body),
    });
  const upload = async (key: string, body: string) => {
    const put = await alice().putObject({ key, contentLength: BigInt(body.length), contentType: "text/plain" });
    const res = await fetch(put.url, { method: "PUT", headers: put.headers, body });
    assert.equal(res.status, 200, await res.text());
  };
  /** An object written with S3 credentials, not through a URL presignd signed. */
  const writeDirectly = async (key: string, body: string) => {
    const s3 = new S3Client({
      region: "us-east-1",
      endpoint: server.devS3Endpoint as string,
      forcePathStyle: true,
      credentials: DEV_CREDENTIALS,
    });
    await s3.send(new PutObjectCommand({ Bucket: "dev", Key: key, Body: body }));
    s3.destroy();
  };
  const counts = async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    const out: Record<string, number> = {};
    for (const s of parsePrometheusText(text))
      if (s.name === "presignd_s3_notifications_total") out[s.labels.outcome as string] = s.value;
    return out;
  };
  const watch = () => {
    const controller = new AbortController();
    return watching(alice().watchUploads({ prefix: "users/alice/" }, { signal: controller.signal }), controller);
  };

  before(async () => {
    // The poller HEADs every hour only: whatever a watcher gets here, the notification delivered.
    server = await startTestServer({
      policy: await writePolicy(policy),
      watchPollInterval: "1h",
      notificationSecret: SECRET,
    });
  });
  after(() => server.close());

  it("streams an upload presignd signed once, when a notification with the secret names it", async () => {
    const w = watch();
    try {
      await upload("users/alice/n/cat.txt", "meow");
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(w.events.length, 0, "nothing before the notification (the poller waits an hour)");
      const res = await post(rgwNotification("users/alice/n/cat.txt", SECRET));
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { landed: 1, ignored: 0 });
      const event = await w.next(1, 2000);
      assert.equal(event.object?.key, "users/alice/n/cat.txt");
      assert.equal(event.object?.size, 4n);
      assert.deepEqual([...event.verified].sort(), ["content_length", "content_type"]);
      // RGW retries and repeats: the same notification again lands nothing more.
      const again = await post(
        rgwNotification("users/alice/n/cat.txt", SECRET, "ObjectCreated:CompleteMultipartUpload"),
      );
      assert.deepEqual(await again.json(), { landed: 0, ignored: 1 });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(w.events.length, 1, "delivered once");
    } finally {
      await w.stop();
    }
  });

  it("refuses a wrong or missing secret with 401, records nothing, and logs no secret", async () => {
    const w = watch();
    try {
      await upload("users/alice/n/wrong.txt", "nope");
      const before = (await counts()).unauthenticated ?? 0;
      for (const secret of ["not-the-secret", undefined, `${SECRET}x`]) {
        const res = await post(rgwNotification("users/alice/n/wrong.txt", secret));
        assert.equal(res.status, 401);
        assert.equal(((await res.json()) as { code: string }).code, "unauthenticated");
      }
      assert.equal((await counts()).unauthenticated, before + 3);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(w.events.length, 0, "nothing streamed");
      assert.ok(
        server.logs.some((l) => String(l.msg).startsWith("S3 notification refused")),
        "a warning for the refusal",
      );
      assert.ok(!server.logText().includes(SECRET), "the secret is never logged");
      assert.ok(!server.logText().includes("not-the-secret"), "nor what was presented");
    } finally {
      await w.stop();
    }
  });

  it("ignores forged records: an object that is not there, one not signed by presignd, not a creation", async () => {
    const w = watch();
    try {
      // Signed, never uploaded: the HEAD finds nothing.
      await alice().putObject({ key: "users/alice/n/absent.txt", contentLength: 4n, contentType: "text/plain" });
      const absent = await post(rgwNotification("users/alice/n/absent.txt", SECRET));
      assert.deepEqual(await absent.json(), { landed: 0, ignored: 1 });
      // There, but written with S3 credentials, not through a URL presignd signed.
      await writeDirectly("users/alice/n/unsigned.txt", "mine");
      const unsigned = await post(rgwNotification("users/alice/n/unsigned.txt", SECRET));
      assert.deepEqual(await unsigned.json(), { landed: 0, ignored: 1 });
      // Signed for 4 bytes, 5 written (by S3 credentials): not what was signed.
      await alice().putObject({ key: "users/alice/n/swapped.txt", contentLength: 4n, contentType: "text/plain" });
      await writeDirectly("users/alice/n/swapped.txt", "five!");
      const swapped = await post(rgwNotification("users/alice/n/swapped.txt", SECRET));
      assert.deepEqual(await swapped.json(), { landed: 0, ignored: 1 });
      await upload("users/alice/n/removed.txt", "gone");
      const removal = await post(rgwNotification("users/alice/n/removed.txt", SECRET, "ObjectRemoved:Delete"));
      assert.deepEqual(await removal.json(), { landed: 0, ignored: 1 });
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(w.events.length, 0, "nothing streamed");
    } finally {
      await w.stop();
    }
  });

  it("refuses a malformed body with 400 naming the problem, and an oversize one with 413", async () => {
    const notJson = await post(undefined, "{not json");
    assert.equal(notJson.status, 400);
    assert.match(((await notJson.json()) as { message: string }).message, /^the body is not JSON: /);
    const noRecords = await post({ records: [] });
    assert.equal(noRecords.status, 400);
    assert.deepEqual(await noRecords.json(), {
      code: "invalid_argument",
      message: "Records: expected an array of S3 event records",
    });
    const noKey = await post({ Records: [{ eventName: "ObjectCreated:Put", s3: { bucket: { name: "dev" } } }] });
    assert.equal(noKey.status, 400);
    assert.equal(((await noKey.json()) as { message: string }).message, "Records[0].s3.object.key: expected a string");
    const big = await post(undefined, JSON.stringify({ Records: [], pad: "x".repeat(1024 * 1024 + 1) }));
    assert.equal(big.status, 413);
    const c = await counts();
    assert.ok((c.invalid ?? 0) >= 4, `invalid counted: ${JSON.stringify(c)}`);
    assert.ok((c.landed ?? 0) >= 1);
    const get = await fetch(`${server.url}/s3-notifications`);
    assert.equal(get.status, 405);
  });
});

describe("POST /s3-notifications without a secret or a handle store", () => {
  it("is not served without --notification-secret, and answers 404 naming --handle-store without a store", async () => {
    const plain = await startTestServer({ policy: await writePolicy(policy) });
    try {
      const res = await fetch(`${plain.url}/s3-notifications`, { method: "POST", body: "{}" });
      assert.equal(res.status, 404);
      assert.match(((await res.json()) as { message: string }).message, /^no route for POST/);
    } finally {
      await plain.close();
    }
    const storeless = await startTestServer({
      policy: await writePolicy(policy),
      notificationSecret: SECRET,
      handleStore: "",
    });
    try {
      const res = await fetch(`${storeless.url}/s3-notifications`, {
        method: "POST",
        body: JSON.stringify(rgwNotification("users/alice/x", SECRET)),
      });
      assert.equal(res.status, 404);
      assert.match(((await res.json()) as { message: string }).message, /no --handle-store/);
    } finally {
      await storeless.close();
    }
  });
});
