import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectPresignd } from "../../src/cli/node-client.js";
import { startTracing, type Tracing, tracingRequested } from "../../src/server/tracing/tracing.js";
import { ALLOW_ALL, KEYS, writePolicy } from "../support/policy.js";
import { startTestServer, type TestServer } from "../support/test-server.js";
import { waitFor } from "../support/wait-for.js";

/** A span as OTLP/HTTP JSON carries it. */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: { key: string; value: { stringValue?: string; intValue?: string } }[];
  status?: { code?: number; message?: string };
}

/** A real OTLP/HTTP trace receiver on loopback: keeps every span POSTed to /v1/traces. */
async function startReceiver(): Promise<{ server: Server; url: string; spans: OtlpSpan[]; contentTypes: string[] }> {
  const spans: OtlpSpan[] = [];
  const contentTypes: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      contentTypes.push(String(req.headers["content-type"]));
      if (req.url === "/v1/traces") {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
          resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[];
        };
        for (const r of body.resourceSpans) for (const s of r.scopeSpans) spans.push(...s.spans);
      }
      res.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, contentTypes };
}

const attribute = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value.stringValue;

describe("tracing: off unless the OTEL_* variables ask", () => {
  it("is requested by an OTLP endpoint or OTEL_TRACES_EXPORTER=otlp, and refused by none or OTEL_SDK_DISABLED", () => {
    assert.equal(tracingRequested({}), false);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: "http://c:4318" }), true);
    assert.equal(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http://c:4318/v1/traces" }), true);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: "otlp" }), true);
    assert.equal(tracingRequested({ OTEL_TRACES_EXPORTER: "none", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c" }), false);
    assert.equal(tracingRequested({ OTEL_SDK_DISABLED: "true", OTEL_EXPORTER_OTLP_ENDPOINT: "http://c" }), false);
  });
});

describe("tracing: one span per RPC, exported over OTLP/HTTP to a real receiver", () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let server: TestServer;
  let tracing: Tracing | undefined;
  const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
  const parentId = "00f067aa0ba902b7";

  before(async () => {
    receiver = await startReceiver();
    // As an operator sets them; the exporter reads its endpoint and the batch delay from the environment.
    process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${receiver.url}/v1/traces`;
    process.env.OTEL_BSP_SCHEDULE_DELAY = "50";
    tracing = await startTracing(process.env, "0.0.0-test");
    assert.ok(tracing, "the endpoint variable turns tracing on");
    server = await startTestServer({ policy: await writePolicy(ALLOW_ALL), logKeys: "full" }, { tracing });
  });
  let closed = false;
  after(async () => {
    if (!closed) await server?.close();
    await tracing?.shutdown();
    // The exporter keeps its connection alive: close it with the receiver.
    receiver?.server.closeAllConnections();
    receiver?.server.close();
  });

  it("honours an incoming traceparent, names the RPC, carries the policy decision and no key", async () => {
    const client = connectPresignd({
      baseUrl: server.url,
      headers: { "x-api-key": KEYS.admin, traceparent: `00-${traceId}-${parentId}-01` },
    });
    await client.service.getObject({ key: "secret/path/to/the-object.txt" });
    await waitFor(() => receiver.spans.find((s) => s.traceId === traceId), 5000);
    const span = receiver.spans.find((s) => s.traceId === traceId);
    assert.ok(span);
    assert.equal(span.parentSpanId, parentId);
    assert.equal(span.name, "presign.v1.PresignService/GetObject");
    assert.equal(span.kind, 2, "SPAN_KIND_SERVER");
    assert.equal(attribute(span, "rpc.service"), "presign.v1.PresignService");
    assert.equal(attribute(span, "rpc.method"), "GetObject");
    assert.equal(attribute(span, "presignd.protocol"), "connect-get");
    assert.equal(attribute(span, "presignd.policy.decision"), "allow");
    assert.equal(attribute(span, "presignd.policy.rule"), "everything");
    assert.equal(attribute(span, "presignd.operation"), "get");
    assert.equal(attribute(span, "rpc.connect_rpc.error_code"), "ok");
    const text = JSON.stringify(receiver.spans);
    assert.ok(!text.includes("the-object"), "no object key in any span");
    assert.ok(!text.includes(KEYS.admin), "no API key in any span");
    assert.ok(!text.includes("X-Amz-Signature"), "no presigned URL in any span");
    assert.ok(
      receiver.contentTypes.every((t) => t.startsWith("application/json")),
      "OTLP/HTTP JSON",
    );
  });

  it("an RPC over gRPC without traceparent starts a trace; a refusal is an error span with its code only", async () => {
    const before = receiver.spans.length;
    const client = connectPresignd({ baseUrl: server.url, transport: "grpc", headers: { "x-api-key": "wrong-key" } });
    await assert.rejects(client.service.putObject({ key: "k", contentLength: 1n }), (e: unknown) => {
      // The service is the generated client: its failures are ConnectErrors.
      assert.ok(e instanceof ConnectError && e.code === Code.Unauthenticated, String(e));
      return true;
    });
    await waitFor(() => receiver.spans.slice(before).find((s) => s.name.endsWith("/PutObject")), 5000);
    const span = receiver.spans.slice(before).find((s) => s.name.endsWith("/PutObject"));
    assert.ok(span);
    assert.equal(span.parentSpanId ?? "", "");
    assert.equal(attribute(span, "presignd.protocol"), "grpc");
    assert.equal(attribute(span, "rpc.connect_rpc.error_code"), "unauthenticated");
    assert.equal(span.status?.code, 2, "STATUS_CODE_ERROR");
    assert.equal(span.status?.message, "unauthenticated");
  });

  it("nothing is lost at shutdown: the last RPC's span is delivered by the time shutdown resolves", async () => {
    const client = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.admin } });
    const before = receiver.spans.length;
    await client.service.putObject({ key: "last", contentLength: 1n });
    await server.close();
    closed = true;
    await tracing?.shutdown();
    assert.ok(receiver.spans.slice(before).some((s) => s.name.endsWith("/PutObject")));
  });
});
