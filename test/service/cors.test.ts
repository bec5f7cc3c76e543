import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { cors } from "@connectrpc/connect";
import { GetObjectRequestSchema } from "../../src/gen/presign/v1/presign_pb.js";
import { CORS_MAX_AGE_SECONDS } from "../../src/server/http/cors.js";
import { grpcWebStatus } from "../support/grpc-web-raw.js";
import { grpcFrame, rawH2Post } from "../support/h2-raw.js";
import { KEYS, sha256, writePolicy } from "../support/policy.js";
import { serverForSuite } from "../support/test-server.js";

const ALLOWED = "https://app.example.com";
const DISALLOWED = "https://evil.example.net";
const GET_OBJECT = "/presign.v1.PresignService/GetObject";

// admin may read anything; alice is known but has no rule: permission_denied.
const POLICY = `principals:
  - name: admin
    api_key_sha256: ["${sha256(KEYS.admin)}"]
  - name: alice
    api_key_sha256: ["${sha256(KEYS.alice)}"]
rules:
  - name: everything
    principals: ["key:admin"]
    operations: [get]
    buckets: ["*"]
    keys: ["*"]
`;

const policy = await writePolicy(POLICY);

function grpcWebBody(key: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(grpcFrame(toBinary(GetObjectRequestSchema, create(GetObjectRequestSchema, { key }))));
}

function exposed(res: Response): string[] {
  return (res.headers.get("access-control-expose-headers") ?? "").split(",").map((h) => h.trim().toLowerCase());
}

function assertNoCors(res: Response): void {
  for (const name of ["access-control-allow-origin", "access-control-expose-headers", "access-control-allow-methods"])
    assert.equal(res.headers.get(name), null, name);
}

describe("CORS", () => {
  const suite = serverForSuite({ policy, corsOrigin: [ALLOWED] });
  const url = (path: string) => `${suite.server.url}${path}`;
  const preflight = (origin: string, path: string, method = "POST") =>
    fetch(url(path), {
      method: "OPTIONS",
      headers: {
        origin,
        "access-control-request-method": method,
        "access-control-request-headers": "content-type,x-api-key,connect-protocol-version",
      },
    });

  it("answers a preflight from an allowed origin with 204 and connect-es's lists plus presignd's headers", async () => {
    for (const path of [GET_OBJECT, "/presign/some/key?method=GET", "/healthz"]) {
      const res = await preflight(ALLOWED, path);
      assert.equal(res.status, 204, path);
      assert.equal(res.headers.get("access-control-allow-origin"), ALLOWED);
      assert.match(res.headers.get("vary") ?? "", /Origin/);
      assert.equal(res.headers.get("access-control-max-age"), String(CORS_MAX_AGE_SECONDS));
      const methods = (res.headers.get("access-control-allow-methods") ?? "").split(", ");
      assert.deepEqual(methods, cors.allowedMethods);
      const headers = (res.headers.get("access-control-allow-headers") ?? "").split(", ");
      for (const h of [...cors.allowedHeaders, "authorization", "x-api-key", "x-request-id", "traceparent"])
        assert.ok(headers.includes(h), `${h} allowed`);
    }
  });

  it("refuses a preflight from another origin with 403 and no CORS headers", async () => {
    const res = await preflight(DISALLOWED, GET_OBJECT);
    assert.equal(res.status, 403);
    assertNoCors(res);
  });

  it("Connect JSON: Allow-Origin and Expose-Headers on success and on permission_denied", async () => {
    const call = (origin: string, apiKey: string) =>
      fetch(url(GET_OBJECT), {
        method: "POST",
        headers: { origin, "content-type": "application/json", "x-api-key": apiKey },
        body: JSON.stringify({ key: "photos/cat.jpg" }),
      });
    const ok = await call(ALLOWED, KEYS.admin);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), ALLOWED);
    assert.deepEqual(
      exposed(ok),
      cors.exposedHeaders.map((h) => h.toLowerCase()),
    );
    assert.match(((await ok.json()) as { url: string }).url, /X-Amz-Signature=/);

    const denied = await call(ALLOWED, KEYS.alice);
    assert.equal(denied.status, 403);
    assert.equal(((await denied.json()) as { code: string }).code, "permission_denied");
    assert.equal(denied.headers.get("access-control-allow-origin"), ALLOWED);
    assert.ok(exposed(denied).includes("grpc-status"));

    const other = await call(DISALLOWED, KEYS.admin);
    assert.equal(other.status, 200, "the server still answers; the browser hides it");
    assertNoCors(other);
    assert.match(other.headers.get("vary") ?? "", /Origin/);
  });

  it("gRPC-Web: a permission_denied error carries Allow-Origin and exposes grpc-status and grpc-message", async () => {
    const call = (origin: string, apiKey: string) =>
      fetch(url(GET_OBJECT), {
        method: "POST",
        headers: { origin, "content-type": "application/grpc-web+proto", "x-grpc-web": "1", "x-api-key": apiKey },
        body: grpcWebBody("photos/cat.jpg"),
      });
    const denied = await call(ALLOWED, KEYS.alice);
    assert.equal(denied.headers.get("access-control-allow-origin"), ALLOWED);
    for (const h of ["grpc-status", "grpc-message", "grpc-status-details-bin"])
      assert.ok(exposed(denied).includes(h), h);
    const body = Buffer.from(await denied.arrayBuffer());
    const status = denied.headers.get("grpc-status") ?? String(grpcWebStatus(body).code);
    assert.equal(status, "7", "permission_denied");

    const ok = await call(ALLOWED, KEYS.admin);
    assert.equal(ok.headers.get("access-control-allow-origin"), ALLOWED);
    assert.equal(grpcWebStatus(Buffer.from(await ok.arrayBuffer())).code, 0);

    assertNoCors(await call(DISALLOWED, KEYS.admin));
  });

  it("REST shape and probes: Allow-Origin for the allowed origin only, errors included", async () => {
    const rest = (origin: string, apiKey: string) =>
      fetch(url("/presign/photos/cat.jpg?method=GET"), { headers: { origin, "x-api-key": apiKey } });
    const ok = await rest(ALLOWED, KEYS.admin);
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), ALLOWED);
    const denied = await rest(ALLOWED, KEYS.alice);
    assert.equal(denied.status, 403);
    assert.equal(denied.headers.get("access-control-allow-origin"), ALLOWED);
    assertNoCors(await rest(DISALLOWED, KEYS.admin));

    const probe = await fetch(url("/healthz"), { headers: { origin: ALLOWED } });
    assert.equal(probe.status, 200);
    assert.equal(probe.headers.get("access-control-allow-origin"), ALLOWED);
    assertNoCors(await fetch(url("/readyz"), { headers: { origin: DISALLOWED } }));
  });

  it("h2c: a body connect-es cannot parse still carries the headers; gRPC proper gets none", async () => {
    const headers = { origin: ALLOWED, "x-api-key": KEYS.admin };
    const garbled = await rawH2Post(
      suite.server.url,
      GET_OBJECT,
      { ...headers, "content-type": "application/json" },
      Buffer.from("{bad"),
    );
    assert.equal(garbled.headers[":status"], 400);
    assert.equal(garbled.headers["access-control-allow-origin"], ALLOWED);
    assert.match(String(garbled.headers["access-control-expose-headers"]), /Grpc-Status/);
    const grpc = await rawH2Post(
      suite.server.url,
      GET_OBJECT,
      { ...headers, "content-type": "application/grpc", te: "trailers" },
      grpcFrame(toBinary(GetObjectRequestSchema, create(GetObjectRequestSchema, { key: "a" }))),
    );
    assert.equal(grpc.trailers["grpc-status"] ?? grpc.headers["grpc-status"], "0");
    assert.equal(grpc.headers["access-control-allow-origin"], undefined);
    assert.equal(grpc.headers.vary, undefined);
  });

  it("--dev allows any localhost origin, whatever its port, and nothing else by default", async () => {
    for (const origin of ["http://localhost:5173", "http://127.0.0.1:3000", "http://[::1]:8081", "https://localhost"]) {
      const res = await preflight(origin, GET_OBJECT);
      assert.equal(res.status, 204, origin);
      assert.equal(res.headers.get("access-control-allow-origin"), origin);
    }
    for (const origin of ["http://localhost.evil.example", "http://127.0.0.2:3000", "null"]) {
      assert.equal((await preflight(origin, GET_OBJECT)).status, 403, origin);
    }
  });
});
