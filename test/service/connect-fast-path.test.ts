// The Connect half of the unary fast path (src/server/transport/connect-patches/unary-fast-path.ts):
// every answer equals connect-es's adapter's, over HTTP/1.1 and HTTP/2, for the requests it takes and
// for those it hands back (compressed, oversized, undecodable, odd headers).
import assert from "node:assert/strict";
import http from "node:http";
import http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { gunzipSync, gzipSync } from "node:zlib";
import { create, fromBinary, fromJson, type JsonValue, toBinary } from "@bufbuild/protobuf";
import { GetObjectRequestSchema, PresignedRequestSchema } from "../../src/gen/presign/v1/presign_pb.js";
import { unaryFastPath } from "../../src/server/transport/connect-patches/unary-fast-path.js";
import { rawH2Post } from "../support/h2-raw.js";
import { KEYS, sha256 } from "../support/policy.js";
import { stackRecordingHealth } from "../support/stack-recording-health.js";
import { fastPathAndAdapterForSuite, type TestServer } from "../support/test-server.js";

const POLICY = `principals:
  - name: admin
    api_key_sha256: ["${sha256(KEYS.admin)}"]
rules:
  - name: ok
    principals: [key:admin]
    operations: [get, put]
    buckets: [dev]
    keys: ["ok/*"]
`;
const GET_OBJECT = "/presign.v1.PresignService/GetObject";
const PUT_OBJECT = "/presign.v1.PresignService/PutObject";
const ADMIN = { "x-api-key": KEYS.admin };
const JSON_TYPE = { "content-type": "application/json" };
const PROTO_TYPE = { "content-type": "application/proto" };
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const proto = (key: string) => Buffer.from(toBinary(GetObjectRequestSchema, create(GetObjectRequestSchema, { key })));
const bigPut = {
  key: "ok/big",
  contentLength: "1",
  metadata: { note: "n".repeat(1500) },
};

interface Case {
  readonly name: string;
  readonly path?: string;
  readonly headers: Record<string, string>;
  readonly body: Buffer;
  /** The status the answer must have (both paths). */
  readonly status: number;
}

const cases: Case[] = [
  { name: "JSON success", headers: { ...JSON_TYPE, ...ADMIN }, body: json({ key: "ok/a b.txt" }), status: 200 },
  { name: "binary success", headers: { ...PROTO_TYPE, ...ADMIN }, body: proto("ok/p.bin"), status: 200 },
  {
    name: "x-request-id reaches the interceptors and comes back",
    headers: { ...JSON_TYPE, ...ADMIN, "x-request-id": "connect-fast-1" },
    body: json({ key: "ok/id" }),
    status: 200,
  },
  {
    name: "connect-protocol-version: 1",
    headers: { ...JSON_TYPE, ...ADMIN, "connect-protocol-version": "1" },
    body: json({ key: "ok/v" }),
    status: 200,
  },
  {
    name: "invalid_argument from validation (key over 1024 bytes)",
    headers: { ...JSON_TYPE, ...ADMIN },
    body: json({ key: `ok/${"k".repeat(1100)}` }),
    status: 400,
  },
  { name: "unauthenticated (no credentials)", headers: JSON_TYPE, body: json({ key: "ok/a" }), status: 401 },
  {
    name: "permission_denied (no rule for the key)",
    headers: { ...JSON_TYPE, ...ADMIN },
    body: json({ key: "secret/a" }),
    status: 403,
  },
  {
    name: "a generous connect-timeout-ms is honoured",
    headers: { ...JSON_TYPE, ...ADMIN, "connect-timeout-ms": "30000" },
    body: json({ key: "ok/t" }),
    status: 200,
  },
  {
    name: "invalid connect-timeout-ms (handed to the adapter)",
    headers: { ...JSON_TYPE, ...ADMIN, "connect-timeout-ms": "soon" },
    body: json({ key: "ok/t" }),
    status: 400,
  },
  {
    name: "oversized body (300 KiB > readMaxBytes)",
    headers: { ...JSON_TYPE, ...ADMIN },
    body: json({ key: `ok/${"k".repeat(300 * 1024)}` }),
    status: 429,
  },
  { name: "malformed JSON", headers: { ...JSON_TYPE, ...ADMIN }, body: Buffer.from('{"key":'), status: 400 },
  { name: "unknown JSON field", headers: { ...JSON_TYPE, ...ADMIN }, body: json({ nope: 1 }), status: 400 },
  { name: "empty body (JSON)", headers: { ...JSON_TYPE, ...ADMIN }, body: Buffer.alloc(0), status: 400 },
  {
    name: "JSON body that is not UTF-8",
    headers: { ...JSON_TYPE, ...ADMIN },
    body: Buffer.concat([Buffer.from('{"key":"ok/'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
    status: 400,
  },
  {
    name: "undecodable binary message (400 by connect-parse-errors)",
    headers: { ...PROTO_TYPE, ...ADMIN },
    body: Buffer.alloc(8, 0xff),
    status: 400,
  },
  {
    name: "binary string that is not UTF-8",
    headers: { ...PROTO_TYPE, ...ADMIN },
    body: Buffer.from([0x12, 0x02, 0xff, 0xfe]),
    status: 400,
  },
  {
    name: "empty body (binary): the default request",
    headers: { ...PROTO_TYPE, ...ADMIN },
    body: Buffer.alloc(0),
    status: 400,
  },
  {
    name: "accept-encoding: gzip, small answer (not compressed)",
    headers: { ...JSON_TYPE, ...ADMIN, "accept-encoding": "gzip" },
    body: json({ key: "ok/z" }),
    status: 200,
  },
  {
    name: "accept-encoding: gzip, answer over 1 KiB (compressed)",
    path: PUT_OBJECT,
    headers: { ...JSON_TYPE, ...ADMIN, "accept-encoding": "gzip" },
    body: json(bigPut),
    status: 200,
  },
  {
    name: "gzip-compressed request (handed to the adapter)",
    headers: { ...JSON_TYPE, ...ADMIN, "content-encoding": "gzip" },
    body: gzipSync(json({ key: "ok/gz" })),
    status: 200,
  },
  {
    name: "unsupported content-encoding",
    headers: { ...JSON_TYPE, ...ADMIN, "content-encoding": "snappy" },
    body: json({ key: "ok/s" }),
    status: 501,
  },
  {
    name: "content type with a charset (handed to the adapter)",
    headers: { "content-type": "application/json; charset=utf-8", ...ADMIN },
    body: json({ key: "ok/c" }),
    status: 200,
  },
  {
    name: "unknown method",
    path: "/presign.v1.PresignService/Nope",
    headers: { ...JSON_TYPE, ...ADMIN },
    body: json({}),
    status: 404,
  },
  {
    name: "a query string after the path (handed to the adapter)",
    path: `${GET_OBJECT}?x=1`,
    headers: { ...JSON_TYPE, ...ADMIN },
    body: json({ key: "ok/q" }),
    status: 200,
  },
];

interface Answer {
  status: number;
  headers: Record<string, unknown>;
  body: unknown;
}

/** Status, headers (not date, connection) and the body: a presigned request by its fields that do not vary. */
function normalize(status: number, headers: Record<string, unknown>, raw: Buffer): Answer {
  const { date: _d, connection: _c, "keep-alive": _k, ...rest } = headers;
  const bytes = rest["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
  let body: unknown = bytes.toString("latin1");
  if (status === 200) {
    const message =
      rest["content-type"] === "application/proto"
        ? fromBinary(PresignedRequestSchema, bytes)
        : fromJson(PresignedRequestSchema, JSON.parse(bytes.toString()) as JsonValue);
    body = { method: message.method, path: new URL(message.url).pathname, headers: message.headers };
    // The compressed size differs with the signature's bytes; its presence does not.
    if (rest["content-encoding"] === "gzip") rest["content-length"] = "(gzip)";
    else rest["content-length"] = "(varies)";
  }
  return { status, headers: rest, body };
}

function h1(server: TestServer, c: Case): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      `${server.url}${c.path ?? GET_OBJECT}`,
      { method: "POST", headers: { ...c.headers, "content-length": String(c.body.byteLength) }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => resolve(normalize(res.statusCode ?? 0, { ...res.headers }, Buffer.concat(chunks))));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(c.body);
  });
}

async function h2(server: TestServer, c: Case): Promise<Answer> {
  const res = await rawH2Post(server.url, c.path ?? GET_OBJECT, c.headers, c.body);
  const { ":status": status, ...headers } = res.headers;
  return normalize(Number(status), headers, res.body);
}

describe("unary Connect fast path answers exactly as connect-es's adapter", () => {
  const servers = fastPathAndAdapterForSuite(POLICY);

  for (const [version, send] of [
    ["HTTP/1.1", h1],
    ["HTTP/2", h2],
  ] as const) {
    describe(version, () => {
      for (const c of cases) {
        it(c.name, async () => {
          const viaFast = await send(servers.fast, c);
          const viaAdapter = await send(servers.adapter, c);
          assert.equal(viaFast.status, c.status, JSON.stringify(viaFast.body));
          assert.deepEqual(viaFast, viaAdapter);
          if (c.name.includes("(compressed)")) assert.equal(viaFast.headers["content-encoding"], "gzip");
        });
      }
    });
  }

  it("the log line of a call is the same on both paths", async () => {
    const c = { headers: { ...JSON_TYPE, ...ADMIN, "x-request-id": "connect-log-1" }, body: json({ key: "ok/l" }) };
    const line = async (server: TestServer) => {
      const before = server.logs.length;
      await h1(server, { name: "", status: 200, ...c });
      const {
        ms: _ms,
        time: _t,
        pid: _p,
        hostname: _h,
        ...rest
      } = server.logs.slice(before).findLast((l) => l.msg === "rpc") ?? {};
      return rest;
    };
    const viaFast = await line(servers.fast);
    assert.equal(viaFast.protocol, "connect-json");
    assert.equal(viaFast.code, "ok");
    assert.deepEqual(viaFast, await line(servers.adapter));
  });

  it("the fast path is the one answering a Connect POST, over HTTP/1.1 and HTTP/2", async () => {
    const stacks: string[] = [];
    const handler = unaryFastPath({ routes: stackRecordingHealth(stacks) });
    const body = json({});
    const path = "/grpc.health.v1.Health/Check";
    for (const server of [http.createServer(handler as never), http2.createServer(handler as never)]) {
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      try {
        if (server instanceof http.Server) {
          const res = await fetch(`${url}${path}`, { method: "POST", headers: JSON_TYPE, body });
          assert.deepEqual([res.status, await res.json()], [200, { status: "SERVING" }]);
        } else {
          const res = await rawH2Post(url, path, JSON_TYPE, body);
          assert.deepEqual([res.headers[":status"], JSON.parse(res.body.toString())], [200, { status: "SERVING" }]);
        }
      } finally {
        await new Promise((resolve) => server.close(resolve));
      }
    }
    assert.equal(stacks.length, 2);
    for (const stack of stacks) assert.ok(stack.includes("connect-patches/unary-fast-path"), stack);
  });
});
