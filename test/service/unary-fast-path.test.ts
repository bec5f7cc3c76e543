import assert from "node:assert/strict";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { HealthCheckRequestSchema } from "../../src/gen/grpc/health/v1/health_pb.js";
import {
  GetObjectRequestSchema,
  PresignedRequestSchema,
  PutObjectRequestSchema,
} from "../../src/gen/presign/v1/presign_pb.js";
import { unaryFastPath } from "../../src/server/transport/connect-patches/unary-fast-path.js";
import { grpcFrame, rawH2Post } from "../support/h2-raw.js";
import { KEYS, sha256 } from "../support/policy.js";
import { stackRecordingHealth } from "../support/stack-recording-health.js";
import { fastPathAndAdapterForSuite, type TestServer } from "../support/test-server.js";

// Everything a caller can observe of one call, minus what differs between two
// servers by nature (signatures, dates, ports).
interface Outcome {
  code: number;
  details: string;
  headers: Record<string, string>;
  trailers: Record<string, string>;
  response?: { method: string; path: string; headers: Record<string, string> };
  log?: Record<string, unknown>;
}

const POLICY = `principals:
  - name: admin
    api_key_sha256: ["${sha256(KEYS.admin)}"]
rules:
  - name: ok
    principals: [admin]
    operations: [get, put]
    buckets: [dev]
    keys: ["ok/*"]
`;
const GET_OBJECT = "/presign.v1.PresignService/GetObject";
const ADMIN = { "x-api-key": KEYS.admin };
const getObject = (key: string) =>
  Buffer.from(toBinary(GetObjectRequestSchema, create(GetObjectRequestSchema, { key })));

interface GrpcJsCase {
  readonly name: string;
  readonly code: grpc.status;
  readonly path?: string;
  readonly request: Buffer;
  readonly metadata?: Record<string, string>;
  readonly deadlineMs?: number;
  readonly gzip?: boolean;
}

const grpcJsCases: GrpcJsCase[] = [
  { name: "success", code: grpc.status.OK, request: getObject("ok/a b.txt"), metadata: ADMIN },
  {
    name: "request metadata reaches the interceptors (x-request-id)",
    code: grpc.status.OK,
    request: getObject("ok/id.txt"),
    metadata: { ...ADMIN, "x-request-id": "fast-path-test-1" },
  },
  {
    name: "invalid_argument from validation (key over 1024 bytes)",
    code: grpc.status.INVALID_ARGUMENT,
    request: getObject(`ok/${"k".repeat(1100)}`),
    metadata: ADMIN,
  },
  { name: "unauthenticated (no credentials)", code: grpc.status.UNAUTHENTICATED, request: getObject("ok/a") },
  {
    name: "unauthenticated (unknown API key)",
    code: grpc.status.UNAUTHENTICATED,
    request: getObject("ok/a"),
    metadata: { "x-api-key": "nope" },
  },
  {
    name: "permission_denied (no rule for the key)",
    code: grpc.status.PERMISSION_DENIED,
    request: getObject("secret/a"),
    metadata: ADMIN,
  },
  {
    name: "a generous deadline (grpc-timeout) is honoured",
    code: grpc.status.OK,
    request: getObject("ok/deadline.txt"),
    metadata: ADMIN,
    deadlineMs: 30_000,
  },
  {
    name: "oversized message (300 KiB > readMaxBytes)",
    code: grpc.status.RESOURCE_EXHAUSTED,
    request: getObject(`ok/${"k".repeat(300 * 1024)}`),
    metadata: ADMIN,
  },
  {
    name: "undecodable message bytes",
    code: grpc.status.INTERNAL,
    request: Buffer.alloc(8, 0xff),
    metadata: ADMIN,
  },
  {
    name: "unknown method",
    code: grpc.status.UNIMPLEMENTED,
    path: "/presign.v1.PresignService/Nope",
    request: getObject("ok/a"),
    metadata: ADMIN,
  },
  {
    name: "gzip-compressed request (handed to the adapter)",
    code: grpc.status.OK,
    request: getObject("ok/gzip.txt"),
    metadata: ADMIN,
    gzip: true,
  },
];

interface RawCase {
  readonly name: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  /** The flags byte of the response message, when it must be this. */
  readonly flags?: number;
  readonly body: Buffer;
}

const gzipHeaders = { "content-type": "application/grpc", te: "trailers", ...ADMIN };
const rawCases: RawCase[] = [
  { name: "success, exact headers and trailers", body: grpcFrame(getObject("ok/raw.txt")) },
  {
    name: "application/grpc+proto",
    headers: { "content-type": "application/grpc+proto" },
    body: grpcFrame(getObject("ok/p")),
  },
  { name: "malformed frame: truncated message", body: grpcFrame(getObject("ok/a"), 0, 100) },
  { name: "malformed frame: only 3 bytes", body: Buffer.from([0, 0, 0]) },
  {
    name: "malformed frame: trailing bytes after the message",
    body: Buffer.concat([grpcFrame(getObject("ok/a")), Buffer.from([0, 0])]),
  },
  { name: "malformed frame: compressed flag without grpc-encoding", body: grpcFrame(getObject("ok/a"), 1) },
  { name: "malformed frame: declared length over readMaxBytes", body: grpcFrame(getObject("ok/a"), 0, 1 << 30) },
  {
    name: "two messages in a unary call",
    body: Buffer.concat([grpcFrame(getObject("ok/a")), grpcFrame(getObject("ok/b"))]),
  },
  { name: "no message at all", body: Buffer.alloc(0) },
  // key (field 2) holds bytes that are not UTF-8: parsed, then refused by the valid-utf8 interceptor.
  { name: "a string that is not UTF-8", body: grpcFrame(Buffer.from([0x12, 0x02, 0xff, 0xfe])) },
  { name: "invalid grpc-timeout", headers: { "grpc-timeout": "soon" }, body: grpcFrame(getObject("ok/a")) },
  // The deadline passes before the handler runs; presignd's handlers finish what they started.
  { name: "grpc-timeout of 1 ns", headers: { "grpc-timeout": "1n" }, body: grpcFrame(getObject("ok/t")) },
  {
    name: "grpc-accept-encoding: gzip",
    headers: { "grpc-accept-encoding": "gzip" },
    flags: 0, // under compressMinBytes (1 KiB): not compressed
    body: grpcFrame(getObject("ok/z")),
  },
  { name: "grpc-encoding: identity", headers: { "grpc-encoding": "identity" }, body: grpcFrame(getObject("ok/i")) },
  {
    name: "response over 1 KiB, gzip accepted: compressed response",
    path: "/presign.v1.PresignService/PutObject",
    headers: { "grpc-accept-encoding": "gzip" },
    flags: 1,
    body: grpcFrame(
      toBinary(
        PutObjectRequestSchema,
        create(PutObjectRequestSchema, { key: "ok/big", contentLength: 1n, metadata: { note: "n".repeat(1500) } }),
      ),
    ),
  },
  { name: "unsupported grpc-encoding", headers: { "grpc-encoding": "snappy" }, body: grpcFrame(getObject("ok/s")) },
];

describe("unary gRPC fast path answers exactly as connect-es's adapter", () => {
  const servers = fastPathAndAdapterForSuite(POLICY);

  describe("@grpc/grpc-js client", () => {
    for (const c of grpcJsCases) {
      it(c.name, async () => {
        const viaFast = await grpcJsCall(servers.fast, c);
        const viaAdapter = await grpcJsCall(servers.adapter, c);
        assert.equal(viaFast.code, c.code, viaFast.details);
        assert.deepEqual(viaFast, viaAdapter);
      });
    }
  });

  describe("raw HTTP/2 requests (exact headers, trailers and body)", () => {
    for (const c of rawCases) {
      it(c.name, async () => {
        const send = (server: TestServer) =>
          rawH2Post(server.url, c.path ?? GET_OBJECT, { ...gzipHeaders, ...c.headers }, c.body).then((res) => {
            const ok = res.trailers["grpc-status"] === "0";
            // A presigned URL differs between two servers (port, date, signature): compare the fields that do not.
            const payload = res.body[0] === 1 ? gunzipSync(res.body.subarray(5)) : res.body.subarray(5);
            return { ...res, flags: res.body[0], body: ok ? response(payload) : res.body };
          });
        const viaFast = await send(servers.fast);
        const viaAdapter = await send(servers.adapter);
        if (c.flags !== undefined) assert.equal(viaFast.flags, c.flags);
        assert.deepEqual(viaFast, viaAdapter);
      });
    }
  });

  it("the fast path is the one answering when enabled, and not when disabled", async () => {
    for (const fastPath of [true, false]) {
      const stacks: string[] = [];
      const handler = (fastPath ? unaryFastPath : connectNodeAdapter)({ routes: stackRecordingHealth(stacks) });
      const server = http2.createServer(handler as never);
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      try {
        const res = await rawH2Post(
          `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          "/grpc.health.v1.Health/Check",
          { "content-type": "application/grpc", te: "trailers" },
          grpcFrame(toBinary(HealthCheckRequestSchema, create(HealthCheckRequestSchema))),
        );
        assert.equal(res.trailers["grpc-status"], "0");
        assert.equal(stacks.length, 1);
        assert.equal(stacks[0]?.includes("connect-patches/unary-fast-path"), fastPath, stacks[0]);
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
  });
});

function response(bytes: Uint8Array): Outcome["response"] {
  const message = fromBinary(PresignedRequestSchema, bytes);
  return { method: message.method, path: new URL(message.url).pathname, headers: message.headers };
}

function grpcJsCall(server: TestServer, c: GrpcJsCase): Promise<Outcome> {
  const client = new grpc.Client(
    new URL(server.url).host,
    grpc.credentials.createInsecure(),
    c.gzip ? { "grpc.default_compression_algorithm": 2 } : {},
  );
  const metadata = new grpc.Metadata();
  for (const [key, value] of Object.entries(c.metadata ?? {})) metadata.set(key, value);
  const logsBefore = server.logs.length;
  return new Promise<Outcome>((resolve) => {
    let headers: Record<string, string> = {};
    let body: Buffer | undefined;
    const call = client.makeUnaryRequest(
      c.path ?? GET_OBJECT,
      (b: Buffer) => b,
      (b: Buffer) => b,
      c.request,
      metadata,
      c.deadlineMs === undefined ? {} : { deadline: Date.now() + c.deadlineMs },
      (_error, value) => {
        body = value;
      },
    );
    call.on("metadata", (m: grpc.Metadata) => {
      const { date: _date, ...rest } = strings(m);
      headers = rest;
    });
    call.on("status", (status: grpc.StatusObject) => {
      client.close();
      // The server's log line for the call (without timing and the generated request id).
      const rpcLines = server.logs.slice(logsBefore).filter((line) => line.msg === "rpc");
      const { ms: _ms, time: _time, pid: _pid, hostname: _host, ...log } = rpcLines.at(-1) ?? {};
      if (!c.metadata?.["x-request-id"]) delete log.request_id;
      resolve({
        code: status.code,
        details: status.details,
        headers,
        trailers: strings(status.metadata),
        ...(body && status.code === grpc.status.OK ? { response: response(body) as Outcome["response"] & {} } : {}),
        ...(rpcLines.length > 0 ? { log } : {}),
      });
    });
  });
}

function strings(metadata: grpc.Metadata): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata.getMap()).map(([k, v]) => [k, String(v)]));
}
