import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connectPresignd } from "../../src/cli/node-client.js";
import type { UploadLanded } from "../../src/gen/presign/v1/presign_pb.js";
import { useDevS3Credentials } from "../support/dev-s3-credentials.js";
import { homePolicy, KEYS, writePolicy } from "../support/policy.js";
import { type Postgres, startPostgres } from "../support/postgres.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// Two presignd instances on one PostgreSQL handle store and one S3 (A's
// embedded one): uploads signed on A land for a watcher connected to B.
describe("WatchUploads across instances sharing a PostgreSQL store", () => {
  let postgres: Postgres;
  let a: TestServer;
  let b: TestServer;
  let restoreCredentials = () => {};
  const as = (server: TestServer) =>
    connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.alice } }).service;

  before(async () => {
    postgres = await startPostgres();
    const handleStore = await postgres.createDatabase("watch");
    const policy = await writePolicy(
      homePolicy({
        operations: ["get", "put", "confirm", "watch"],
        rest: `handles:\n  keys:\n    - kid: shared\n      secret_base64: "${Buffer.alloc(32, 9).toString("base64")}"\n`,
      }),
    );
    a = await startTestServer({ policy, handleStore, watchPollInterval: "100ms" });
    // B signs for A's embedded S3 with its credentials, from the SDK's chain as in production.
    restoreCredentials = useDevS3Credentials();
    b = await startTestServer({
      dev: false,
      policy,
      handleStore,
      watchPollInterval: "100ms",
      endpoint: a.devS3Endpoint ?? "",
      bucket: ["dev"],
      region: "us-east-1",
      pathStyle: true,
    });
  });
  after(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await postgres?.close();
    restoreCredentials();
  });

  it("a watcher on B sees uploads signed on A, once, whichever instance saw them land", async () => {
    const controller = new AbortController();
    const events: UploadLanded[] = [];
    const watching = (async () => {
      try {
        for await (const e of as(b).watchUploads({ prefix: "users/alice/" }, { signal: controller.signal }))
          events.push(e);
      } catch (error) {
        if (!controller.signal.aborted) throw error;
      }
    })();
    const waitFor = async (n: number) => {
      for (let i = 0; i < 200 && events.length < n; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(events.length, n, `${n} events`);
    };
    try {
      await new Promise((r) => setTimeout(r, 200));
      const upload = async (key: string, body: string) => {
        const put = await as(a).putObject({ key, contentLength: BigInt(body.length) });
        assert.equal((await fetch(put.url, { method: "PUT", headers: put.headers, body })).status, 200);
      };
      // Found by B's poller: the record A wrote is in the shared store.
      await upload("users/alice/from-a.txt", "signed on A");
      await waitFor(1);
      assert.equal(events[0]?.object?.key, "users/alice/from-a.txt");
      // Confirmed on A: B's watcher reads A's event from the shared table.
      await upload("users/alice/confirmed-on-a.txt", "confirmed");
      await as(a).confirmUpload({ key: "users/alice/confirmed-on-a.txt" });
      await waitFor(2);
      assert.equal(events[1]?.object?.key, "users/alice/confirmed-on-a.txt");
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(events.length, 2, "each upload once");
    } finally {
      controller.abort();
      await watching;
    }
  });
});
