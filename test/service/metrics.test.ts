import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, createClient } from "@connectrpc/connect";
import { connectPresignd, nodeTransport } from "../../src/cli/node-client.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../src/gen/grpc/health/v1/health_pb.js";
import { Operation } from "../../src/gen/presign/v1/presign_pb.js";
import type { RawServeOptions } from "../../src/server/config/config.js";
import { type DevS3, startDevS3 } from "../../src/server/s3/dev-s3.js";
import type { RunningServer } from "../../src/server/start.js";
import { homePolicy, KEYS, writePolicy } from "../support/policy.js";
import { startProductionServer } from "../support/production-server.js";
import { scrape, series } from "../support/prometheus-text.js";
import { refusal } from "../support/refusal.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/**
 * The second of two scrapes: the first one's readiness gauge probes S3 and
 * pings the handle store, and those calls show in the counters of the next.
 */
async function scrapeTwice(server: RunningServer) {
  const url = server.metricsUrl ?? assert.fail("no metricsUrl");
  await scrape(url);
  return scrape(url);
}

describe("Prometheus metrics after known traffic over every protocol", () => {
  let server: TestServer;
  let samples: Awaited<ReturnType<typeof scrape>>;
  before(async () => {
    const policy = await writePolicy(homePolicy({ rule: "    max_content_length: 100\n" }));
    server = await startTestServer({ policy, metricsAddr: "127.0.0.1:0", handleStore: "memory" });
    const as = (
      transport: "connect" | "grpc" | "grpc-web",
      headers: Record<string, string> = { "x-api-key": KEYS.alice },
    ) => connectPresignd({ baseUrl: server.url, transport, headers }).service;
    const connect = as("connect");
    const grpc = as("grpc");
    const grpcWeb = as("grpc-web");
    // Connect: GetObject goes as a Connect GET, the rest as Connect binary.
    await connect.getObject({ key: "users/alice/a" });
    await connect.putObject({ key: "users/alice/b", contentLength: 3n });
    assert.equal((await refusal(connect.getObject({ key: "users/bob/x" }))).code, Code.PermissionDenied); // no rule comes near
    assert.equal(
      (await refusal(connect.putObject({ key: "users/alice/big", contentLength: 1000n }))).code,
      Code.PermissionDenied,
    ); // "home" is nearest
    assert.equal((await refusal(as("connect", {}).getObject({ key: "users/alice/a" }))).code, Code.Unauthenticated);
    const { handle } = await connect.createHandle({ key: "users/alice/h", operations: [Operation.GET] });
    await connect.getObject({ handle });
    await grpc.getObject({ key: "users/alice/c" });
    await grpc.putObject({ key: "users/alice/d", contentLength: 3n });
    await grpcWeb.getObject({ key: "users/alice/e" });
    assert.equal((await refusal(grpcWeb.putObject({ key: "", contentLength: 3n }))).code, Code.InvalidArgument);
    const rest = (path: string) => fetch(`${server.url}/presign/${path}`, { headers: { "x-api-key": KEYS.alice } });
    assert.equal((await rest("users/alice/f?method=GET")).status, 200);
    assert.equal((await rest("users/bob/g?method=PUT&contentLength=1")).status, 403);
    const unknown = await fetch(`${server.url}/presign.v1.PresignService/Nope`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(unknown.status, 404);
    samples = await scrapeTwice(server);
  });
  after(() => server.close());

  it("serves them on their own port, not on the main one", async () => {
    const metrics = new URL(server.metricsUrl ?? "");
    assert.notEqual(metrics.port, new URL(server.url).port);
    assert.equal(metrics.pathname, "/metrics");
    assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
    assert.equal((await fetch(new URL("/other", metrics))).status, 404);
    assert.equal((await fetch(metrics, { method: "POST" })).status, 405);
    const head = await fetch(metrics, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(await head.text(), "");
  });

  it("counts RPCs by method, protocol and code, REST calls once as protocol rest", () => {
    assert.deepEqual(series(samples, "presignd_rpc_requests_total"), {
      "code=ok,method=GetObject,protocol=connect-get": 2,
      "code=permission_denied,method=GetObject,protocol=connect-get": 1,
      "code=unauthenticated,method=GetObject,protocol=connect-get": 1,
      "code=ok,method=PutObject,protocol=connect-proto": 1,
      "code=permission_denied,method=PutObject,protocol=connect-proto": 1,
      "code=ok,method=CreateHandle,protocol=connect-proto": 1,
      "code=ok,method=GetObject,protocol=grpc": 1,
      "code=ok,method=PutObject,protocol=grpc": 1,
      "code=ok,method=GetObject,protocol=grpc-web": 1,
      "code=invalid_argument,method=PutObject,protocol=grpc-web": 1,
      "code=ok,method=GetObject,protocol=rest": 1,
      "code=permission_denied,method=PutObject,protocol=rest": 1,
      "code=not_found,method=unknown,protocol=connect-json": 1,
    });
  });

  it("times every unary RPC in the latency histogram", () => {
    const counts = series(samples, "presignd_rpc_duration_seconds_count");
    assert.deepEqual(counts, {
      "method=GetObject,protocol=connect-get": 4,
      "method=PutObject,protocol=connect-proto": 2,
      "method=CreateHandle,protocol=connect-proto": 1,
      "method=GetObject,protocol=grpc": 1,
      "method=PutObject,protocol=grpc": 1,
      "method=GetObject,protocol=grpc-web": 1,
      "method=PutObject,protocol=grpc-web": 1,
      "method=GetObject,protocol=rest": 1,
      "method=PutObject,protocol=rest": 1,
    });
    const buckets = series(samples, "presignd_rpc_duration_seconds_bucket");
    assert.equal(buckets["le=+Inf,method=GetObject,protocol=connect-get"], 4);
    const sum = series(samples, "presignd_rpc_duration_seconds_sum")["method=GetObject,protocol=grpc"] ?? -1;
    assert.ok(sum > 0 && sum < 5, `sum ${sum}`);
  });

  it("counts presigns by operation and bucket, and policy decisions by rule and outcome", () => {
    // GETs: Connect (by key and by handle), gRPC, gRPC-Web, REST; PUTs: Connect, gRPC. CreateHandle signs nothing.
    assert.deepEqual(series(samples, "presignd_presigns_total"), {
      "bucket=dev,operation=get": 5,
      "bucket=dev,operation=put": 2,
    });
    assert.deepEqual(series(samples, "presignd_policy_decisions_total"), {
      "decision=allow,rule=home": 8,
      "decision=deny,rule=": 2,
      "decision=deny,rule=home": 1,
    });
  });

  it("times the handle store: one insert (CreateHandle), one find (GetObject by handle), no errors", () => {
    const counts = series(samples, "presignd_handle_store_duration_seconds_count");
    assert.equal(counts["operation=insert"], 1);
    assert.equal(counts["operation=find"], 1);
    assert.ok((counts["operation=ping"] ?? 0) >= 1, "readiness pings the store");
    assert.deepEqual(series(samples, "presignd_handle_store_errors_total"), {});
  });

  it("reports readiness, credential expiry, the server's own S3 calls and process metrics", () => {
    assert.deepEqual(series(samples, "presignd_ready"), { "": 1 });
    // --dev's credentials are static: they never expire.
    assert.deepEqual(series(samples, "presignd_credentials_expiry_seconds"), { "": Number.POSITIVE_INFINITY });
    assert.ok((series(samples, "presignd_s3_calls_total")["call=readiness_probe,outcome=ok"] ?? 0) >= 1);
    assert.ok((series(samples, "process_cpu_seconds_total")[""] ?? 0) > 0);
    assert.ok((series(samples, "nodejs_heap_size_used_bytes")[""] ?? 0) > 0);
  });

  it("labels nothing with keys, principals or handles", () => {
    const labels = samples.flatMap((s) => Object.values(s.labels)).join("\n");
    for (const secret of ["users/", "alice", "bob", "psh_", KEYS.alice]) assert.ok(!labels.includes(secret), secret);
  });
});

describe("where metrics are served", () => {
  it("--dev without --metrics-addr: on the main port", async () => {
    const server = await startTestServer();
    try {
      assert.equal(server.metricsUrl, `${server.url}/metrics`);
      await connectPresignd({ baseUrl: server.url }).service.getObject({ key: "a" });
      const samples = await scrape(server.metricsUrl ?? "");
      // In-process isolation: this server's registry holds only this server's RPC.
      assert.deepEqual(series(samples, "presignd_rpc_requests_total"), {
        "code=ok,method=GetObject,protocol=connect-get": 1,
      });
      assert.deepEqual(series(samples, "presignd_policy_decisions_total"), {
        "decision=allow,rule=development mode (no policy)": 1,
      });
    } finally {
      await server.close();
    }
  });

  it("counts a streaming RPC when its stream ends: a Watch the caller cancels is canceled", async () => {
    const server = await startTestServer();
    try {
      const health = createClient(Health, nodeTransport({ baseUrl: server.url, transport: "grpc" }));
      assert.equal((await health.check({})).status, Status.SERVING);
      const controller = new AbortController();
      await assert.rejects(async () => {
        for await (const answer of health.watch({}, { signal: controller.signal })) {
          assert.equal(answer.status, Status.SERVING);
          controller.abort();
        }
      });
      // The server learns of the cancel from the stream reset: wait for it to count.
      let rpcs: Record<string, number> = {};
      for (let i = 0; i < 50 && rpcs["code=canceled,method=Watch,protocol=grpc"] === undefined; i++) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        rpcs = series(await scrape(server.metricsUrl ?? ""), "presignd_rpc_requests_total");
      }
      assert.deepEqual(rpcs, {
        "code=ok,method=Check,protocol=grpc": 1,
        "code=canceled,method=Watch,protocol=grpc": 1,
      });
      const timed = series(await scrape(server.metricsUrl ?? ""), "presignd_rpc_duration_seconds_count");
      assert.deepEqual(timed, { "method=Check,protocol=grpc": 1 }, "a stream's length is not a latency");
    } finally {
      await server.close();
    }
  });

  describe("outside --dev (an S3 endpoint and the SDK credential chain)", () => {
    let s3: DevS3;
    let dataDir: string;
    const servers: RunningServer[] = [];
    const saved = { ...process.env };
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), "presignd-metrics-"));
      s3 = await startDevS3({ dataDir, host: "127.0.0.1", port: 0, buckets: ["metered"] });
      Object.assign(process.env, {
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_CONFIG_FILE: join(dataDir, "no-config"),
        AWS_SHARED_CREDENTIALS_FILE: join(dataDir, "no-credentials"),
        AWS_ACCESS_KEY_ID: "S3RVER",
        AWS_SECRET_ACCESS_KEY: "S3RVER",
      });
    });
    after(async () => {
      for (const server of servers) await server.close();
      await s3.close();
      await rm(dataDir, { recursive: true, force: true });
      process.env = saved;
    });
    const serve = async (extra: Partial<RawServeOptions> = {}) => {
      const server = await startProductionServer({ bucket: ["metered"], endpoint: s3.endpoint, ...extra });
      servers.push(server);
      return server;
    };

    it("without --metrics-addr: no metrics anywhere", async () => {
      const server = await serve();
      assert.equal(server.metricsUrl, undefined);
      const res = await fetch(`${server.url}/metrics`);
      assert.equal(res.status, 404);
      assert.equal(((await res.json()) as { code: string }).code, "not_found");
    });

    it("with --metrics-addr: region discovery, CreateMultipartUpload and probes counted by outcome", async () => {
      const server = await serve({ metricsAddr: "127.0.0.1:0" });
      assert.equal((await fetch(`${server.url}/metrics`)).status, 404);
      const client = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.admin } });
      await client.service.createMultipartUpload({ key: "big.bin", maxSize: 100n << 20n });
      const samples = await scrapeTwice(server);
      const calls = series(samples, "presignd_s3_calls_total");
      // s3rver refuses the SDK's HeadBucket (403, no x-amz-bucket-region): the region defaults to us-east-1.
      assert.equal(calls["call=discover_region,outcome=refused"], 1);
      assert.equal(calls["call=create_multipart_upload,outcome=ok"], 1);
      assert.ok((calls["call=readiness_probe,outcome=ok"] ?? 0) >= 1);
      assert.deepEqual(series(samples, "presignd_presigns_total"), { "bucket=metered,operation=multipart": 1 });
      assert.deepEqual(series(samples, "presignd_ready"), { "": 1 });
      // Environment credentials carry no expiration.
      assert.deepEqual(series(samples, "presignd_credentials_expiry_seconds"), { "": Number.POSITIVE_INFINITY });
    });

    it("an unreachable S3: not ready, and the probes counted as unreachable", async () => {
      const server = await serve({ metricsAddr: "127.0.0.1:0", endpoint: "http://127.0.0.1:9", region: "us-east-1" });
      const samples = await scrapeTwice(server);
      assert.deepEqual(series(samples, "presignd_ready"), { "": 0 });
      assert.deepEqual(series(samples, "presignd_s3_calls_total"), { "call=readiness_probe,outcome=unreachable": 1 });
    });

    it("a taken --metrics-addr fails the start, naming the flag", async () => {
      const taken = await serve({ metricsAddr: "127.0.0.1:0" });
      const port = new URL(taken.metricsUrl ?? "").port;
      await assert.rejects(serve({ metricsAddr: `127.0.0.1:${port}` }), {
        name: "ConfigError",
        message: new RegExp(
          `^--metrics-addr \\(PRESIGND_METRICS_ADDR\\): 127\\.0\\.0\\.1:${port} is already in use .*: stop it, or choose another address with --metrics-addr$`,
        ),
      });
    });
  });
});
