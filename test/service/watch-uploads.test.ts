import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { connectPresignd } from "../../src/cli/node-client.js";
import { UploadKind } from "../../src/gen/presign/v1/presign_pb.js";
import { homePolicy, KEYS, writePolicy } from "../support/policy.js";
import { refusal } from "../support/refusal.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { watching } from "../support/watching.js";

const policy = homePolicy({ operations: ["get", "put", "post", "multipart", "confirm", "watch"] });

describe("WatchUploads", () => {
  let server: TestServer;
  const as = (key: string) => connectPresignd({ baseUrl: server.url, headers: { "x-api-key": key } }).service;
  const watch = (key: string, request: { prefix: string; cursor?: string }) => {
    const controller = new AbortController();
    return watching(as(key).watchUploads(request, { signal: controller.signal }), controller);
  };
  const upload = async (key: string, body: string, contentType = "text/plain") => {
    const put = await as(KEYS.alice).putObject({ key, contentLength: BigInt(body.length), contentType });
    const res = await fetch(put.url, { method: "PUT", headers: put.headers, body });
    assert.equal(res.status, 200, await res.text());
  };

  before(async () => {
    server = await startTestServer({ policy: await writePolicy(policy), watchPollInterval: "100ms" });
  });
  after(() => server.close());

  it("streams each upload presignd signed once it lands, verified, to a watcher of its prefix", async () => {
    const w = watch(KEYS.alice, { prefix: "users/alice/photos/" });
    try {
      await new Promise((r) => setTimeout(r, 200));
      await upload("users/alice/other/not-watched.txt", "elsewhere");
      await upload("users/alice/photos/cat.txt", "meow");
      const event = await w.next(1);
      assert.equal(event.kind, UploadKind.PUT);
      assert.equal(event.object?.key, "users/alice/photos/cat.txt");
      assert.equal(event.object?.size, 4n);
      assert.equal(event.object?.contentType, "text/plain");
      assert.deepEqual([...event.verified].sort(), ["content_length", "content_type"]);
      assert.match(event.cursor, /^[1-9][0-9]*$/);
      assert.ok(event.landedAt);
      // ConfirmUpload sees it first: the event comes at once, and only once.
      await upload("users/alice/photos/dog.txt", "woof");
      await as(KEYS.alice).confirmUpload({ key: "users/alice/photos/dog.txt" });
      const second = await w.next(2, 2000);
      assert.equal(second.object?.key, "users/alice/photos/dog.txt");
      assert.ok(BigInt(second.cursor) > BigInt(event.cursor));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(w.events.length, 2, "no duplicate, nothing from outside the prefix");
    } finally {
      await w.stop();
    }
  });

  it("resumes after a cursor: what landed since comes first", async () => {
    const first = watch(KEYS.alice, { prefix: "users/alice/resume/" });
    let cursor: string;
    try {
      await upload("users/alice/resume/1.txt", "one");
      cursor = (await first.next(1)).cursor;
    } finally {
      await first.stop();
    }
    await upload("users/alice/resume/2.txt", "two");
    const again = watch(KEYS.alice, { prefix: "users/alice/resume/", cursor });
    try {
      const event = await again.next(1);
      assert.equal(event.object?.key, "users/alice/resume/2.txt");
    } finally {
      await again.stop();
    }
  });

  it("refuses bad input naming the field", async () => {
    const drain = (request: { prefix: string; cursor?: string }) =>
      refusal(
        (async () => {
          for await (const _ of as(KEYS.alice).watchUploads(request)) assert.fail("no event");
        })(),
      );
    const cursor = await drain({ prefix: "users/alice/", cursor: "abc" });
    assert.equal(cursor.code, Code.InvalidArgument);
    assert.equal(cursor.rawMessage, "cursor: is not a cursor from UploadLanded.cursor");
    const prefix = await drain({ prefix: "users/alice/../bob/" });
    assert.equal(prefix.code, Code.InvalidArgument);
    assert.match(prefix.rawMessage, /^prefix: /);
  });

  it("is decided by the policy: `watch` on the prefix", async () => {
    for (const [key, prefix] of [
      [KEYS.bob, "users/alice/"],
      [KEYS.alice, ""],
      [KEYS.alice, "users/"],
    ] as const) {
      const drained = (async () => {
        for await (const _ of as(key).watchUploads({ prefix })) assert.fail("no event for a refused watch");
      })();
      const error = await refusal(drained);
      assert.equal(error.code, Code.PermissionDenied, prefix);
    }
  });
});

describe("WatchUploads without a handle store", () => {
  it("is refused with FAILED_PRECONDITION saying what to configure", async () => {
    const server = await startTestServer({ handleStore: "" });
    try {
      const error = await refusal(
        (async () => {
          for await (const _ of connectPresignd({ baseUrl: server.url }).service.watchUploads({ prefix: "a/" }))
            assert.fail("no event");
        })(),
      );
      assert.equal(error.code, Code.FailedPrecondition);
      assert.match(error.rawMessage, /needs a handle store.*--handle-store/);
    } finally {
      await server.close();
    }
  });
});

describe("WatchUploads at shutdown", () => {
  it("ends each watch when the server stops, so the port closes without waiting out the shutdown timeout", async () => {
    const server = await startTestServer({ policy: await writePolicy(policy) });
    const stream = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.alice } }).service.watchUploads({
      prefix: "users/alice/",
    });
    const ended = (async () => {
      for await (const _ of stream) assert.fail("no upload landed");
      return "ended";
    })();
    await new Promise((r) => setTimeout(r, 300));
    const started = performance.now();
    await server.close({ drainDelayMs: 0, timeoutMs: 20_000 });
    assert.ok(performance.now() - started < 5000, "the stream did not hold the port open");
    assert.equal(await ended, "ended", "the stream ended cleanly (the client reconnects elsewhere)");
  });
});
