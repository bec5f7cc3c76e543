import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, beforeEach, describe, it } from "node:test";
import v8 from "node:v8";
import vm from "node:vm";
import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { GetObjectRequestSchema, PutObjectRequestSchema } from "../../src/gen/presign/v1/presign_pb.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// ≥ 10,000 generated malformed requests over Connect JSON, Connect binary and
// gRPC. Every answer must be a caller-error code (or success, when chance
// makes a valid request); never a crash, a hang, or INTERNAL for a caller's
// mistake — except where the gRPC spec prescribes INTERNAL for an unparsable
// request message.
const RUNS = { json: 4000, binary: 3000, grpc: 3000 };
const CALLER_CODES = new Set([
  "invalid_argument",
  "not_found",
  "resource_exhausted",
  "unimplemented",
  "permission_denied",
  "unauthenticated",
]);
// gRPC status numbers of the same codes; 13 (INTERNAL) only for unparsable protos.
const GRPC_CALLER = new Set([0, 3, 5, 7, 8, 12, 16]);
const METHODS = ["GetObject", "PutObject", "PostPolicy"];
const FIELDS = [
  "bucket",
  "key",
  "expiresIn",
  "versionId",
  "overrides",
  "range",
  "contentLength",
  "contentType",
  "contentMd5",
  "checksumSha256",
  "metadata",
  "keyPrefix",
  "minContentLength",
  "maxContentLength",
  "contentTypePrefix",
  "successActionStatus",
];

const hostile = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "",
    "..",
    "a/../b",
    "\u0000",
    "\ud800",
    "é".repeat(600),
    "x".repeat(70_000),
    "-1",
    "1e999",
    "99999999999999999999999",
    "NaN",
    "abc",
    "1.5s",
    "-5s",
    "315576000001s",
    "0.000000001s",
    "bytes=9-1",
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 12 }), fc.string({ maxLength: 30 }), { maxKeys: 50 }),
  fc.constant(Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`m${i}`, "v".repeat(10)]))),
  fc.object({ maxDepth: 4 }),
);
const jsonBody = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), hostile, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
  },
  { weight: 2, arbitrary: fc.json({ maxDepth: 6 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc
      .dictionary(fc.constantFrom(...FIELDS), hostile, { maxKeys: 6 })
      .map((o) => JSON.stringify(o).slice(0, -3)),
  },
);
// Valid encodings, corrupted: truncated, bit-flipped, or random bytes.
const validProto = fc.constantFrom(
  toBinary(
    GetObjectRequestSchema,
    create(GetObjectRequestSchema, { key: "a/b", expiresIn: { seconds: 60n }, range: "bytes=0-1" }),
  ),
  toBinary(
    PutObjectRequestSchema,
    create(PutObjectRequestSchema, { key: "k", contentLength: 5n, metadata: { a: "b" } }),
  ),
);
const protoBody = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(validProto, fc.nat()).map(([b, n]) => b.subarray(0, n % (b.length + 1))),
  fc.tuple(validProto, fc.nat(), fc.integer({ min: 0, max: 7 })).map(([b, n, bit]) => {
    const copy = Uint8Array.from(b);
    if (copy.length > 0) copy[n % copy.length] = (copy[n % copy.length] as number) ^ (1 << bit);
    return copy;
  }),
);

describe(`fuzz: ${RUNS.json + RUNS.binary + RUNS.grpc} malformed requests`, { timeout: 300_000 }, () => {
  let server: TestServer;
  let session: http2.ClientHttp2Session | undefined;
  before(async () => {
    server = await startTestServer({ logLevel: "warn" });
  });
  after(async () => {
    session?.close();
    await server.close();
  });

  let unexpected: string[] = [];
  const note = (what: string) => {
    if (unexpected.length < 20) unexpected.push(what.slice(0, 300));
  };
  beforeEach(() => {
    unexpected = [];
  });

  let heapAfterWarmUp = 0;

  it(`Connect JSON (${RUNS.json})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...METHODS), jsonBody, async (method, body) => {
        const res = await fetch(`${server.url}/presign.v1.PresignService/${method}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        const answer = (await res.json()) as { code?: string };
        if (res.status !== 200 && !CALLER_CODES.has(answer.code ?? ""))
          note(`${method} ${res.status} ${JSON.stringify(answer)} ← ${body}`);
      }),
      { numRuns: RUNS.json },
    );
    heapAfterWarmUp = liveHeap();
    assert.deepEqual(unexpected, []);
  });

  it(`Connect binary (${RUNS.binary})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...METHODS), protoBody, async (method, body) => {
        const res = await fetch(`${server.url}/presign.v1.PresignService/${method}`, {
          method: "POST",
          headers: { "content-type": "application/proto" },
          body,
        });
        const text = await res.text();
        const code = res.status === 200 ? "ok" : ((JSON.parse(text) as { code?: string }).code ?? "");
        if (code !== "ok" && !CALLER_CODES.has(code)) note(`${method} ${res.status} ${text}`);
      }),
      { numRuns: RUNS.binary },
    );
    assert.deepEqual(unexpected, []);
  });

  it(`gRPC, including truncated and oversized frames (${RUNS.grpc})`, async () => {
    const frame = fc.oneof(
      protoBody.map((b) => envelope(b, b.length)),
      protoBody.map((b) => envelope(b, b.length + 100)), // length prefix promises more than is sent
      fc.uint8Array({ maxLength: 4 }).map((b) => Buffer.from(b)), // shorter than a prefix
      protoBody.map((b) => Buffer.concat([envelope(b, b.length), envelope(b, b.length)])), // two messages for a unary call
      protoBody.map((b) => {
        const e = envelope(b, b.length);
        e[0] = 1;
        return e;
      }), // "compressed" without grpc-encoding
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...METHODS), frame, async (method, body) => {
        // Connected here, not in before(): on a busy machine the Connect runs above outlast the
        // server's 60 s idle timeout, which would close a session opened earlier.
        session ??= http2.connect(server.url);
        const status = await grpcCall(session, `/presign.v1.PresignService/${method}`, body);
        // gRPC prescribes INTERNAL for an unparsable message, and for a
        // compressed-flag envelope without a grpc-encoding (a protocol violation).
        const parseError =
          status.code === 13 &&
          /^parse binary: |premature EOF|compressed envelope, but do not know how/.test(status.message);
        if (!GRPC_CALLER.has(status.code) && !parseError)
          note(`${method} grpc-status ${status.code} ${status.message}`);
      }),
      { numRuns: RUNS.grpc },
    );
    assert.deepEqual(unexpected, []);
  });

  it("the server is still up, logged no error, and its live heap did not grow", async () => {
    const res = await fetch(`${server.url}/presign.v1.PresignService/GetObject`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"key":"still/alive"}',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(
      server.logs.filter((l) => (l.level as number) >= 50),
      [],
    );
    // No growth trend: the live heap (after a full GC) at the end of the run is within 32 MiB of
    // its size after the first 4,000 requests (Connect JSON); 6,000 more followed.
    const growth = liveHeap() - heapAfterWarmUp;
    console.error(
      `live heap: ${(heapAfterWarmUp / 2 ** 20).toFixed(1)} MiB after 4,000 requests, growth ${(growth / 2 ** 20).toFixed(1)} MiB after 10,000`,
    );
    assert.ok(growth < 32 * 1024 * 1024, `live heap grew by ${growth >> 20} MiB over the run`);
  });
});

function envelope(message: Uint8Array, declaredLength: number): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(declaredLength, 1);
  return Buffer.concat([head, message]);
}

function grpcCall(
  session: http2.ClientHttp2Session,
  path: string,
  body: Buffer,
): Promise<{ code: number; message: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
    });
    let headers: http2.IncomingHttpHeaders = {};
    stream.on("response", (h) => (headers = h));
    stream.on("trailers", (t) => (headers = { ...headers, ...t }));
    stream.on("data", () => {});
    stream.setTimeout(10_000, () => reject(new Error(`timeout on ${path}`)));
    stream.on("error", reject);
    stream.on("close", () =>
      resolve({
        code: Number(headers["grpc-status"] ?? -1),
        message: decodeURIComponent(String(headers["grpc-message"] ?? "")),
      }),
    );
    stream.end(body);
  });
}

// The heap still in use after a full collection (live objects only).
function liveHeap(): number {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}
