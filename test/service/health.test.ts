import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { nodeTransport } from "../../src/cli/node-client.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../src/gen/grpc/health/v1/health_pb.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe("grpc.health.v1.Health and /healthz, /readyz", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });

  const health = () => createClient(Health, nodeTransport({ baseUrl: server.url, transport: "grpc" }));

  it("Check is SERVING for the server and PresignService once S3 accepts our signatures", async () => {
    assert.equal((await health().check({})).status, Status.SERVING);
    assert.equal((await health().check({ service: "presign.v1.PresignService" })).status, Status.SERVING);
  });

  it("Check of an unknown service is NOT_FOUND; Watch says SERVICE_UNKNOWN", async () => {
    const error = await health()
      .check({ service: "no.Such" })
      .catch((e: unknown) => e);
    assert.ok(error instanceof ConnectError);
    assert.equal(error.code, Code.NotFound);
    const controller = new AbortController();
    const seen: Status[] = [];
    await assert.rejects(
      (async () => {
        for await (const answer of health().watch({ service: "no.Such" }, { signal: controller.signal })) {
          seen.push(answer.status);
          controller.abort();
        }
      })(),
      (e: unknown) => ConnectError.from(e).code === Code.Canceled,
    );
    assert.deepEqual(seen, [Status.SERVICE_UNKNOWN]);
  });

  it("/healthz and /readyz answer plain HTTP", async () => {
    const live = await fetch(`${server.url}/healthz`);
    assert.deepEqual([live.status, await live.json()], [200, { status: "ok" }]);
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { status: string }).status, "SERVING");
  });

  it("Watch streams SERVING, then NOT_SERVING at shutdown, then ends", async () => {
    const seen: Status[] = [];
    const watching = (async () => {
      for await (const answer of health().watch({})) {
        seen.push(answer.status);
        if (seen.length === 1) void server.close();
      }
    })();
    await watching;
    assert.deepEqual(seen, [Status.SERVING, Status.NOT_SERVING]);
  });
});
