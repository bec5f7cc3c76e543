import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { connectPresignd } from "../../src/cli/node-client.js";
import { makePki, pem, type TestPki } from "../support/certs.js";
import { curl } from "../support/curl.js";
import { KEYS, sha256, writePolicy } from "../support/policy.js";
import { refusal } from "../support/refusal.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe("TLS with HTTP/2 by ALPN, and client certificates (mTLS)", () => {
  let pki: TestPki;
  let server: TestServer;
  before(async () => {
    pki = makePki();
    const policy = await writePolicy(`principals:
  - name: alice
    api_key_sha256: ["${sha256(KEYS.alice)}"]
  - name: bob
    api_key_sha256: ["${sha256(KEYS.bob)}"]
rules:
  - name: services
    principals: ["cert:backend.internal"]
    operations: [get, put]
    buckets: ["*"]
    keys: ["services/*"]
  - name: alice
    principals: ["key:alice", "cert:alice"]
    operations: [get]
    buckets: ["*"]
    keys: ["alice/*"]
`);
    server = await startTestServer({ policy, tlsCert: pki.serverCert, tlsKey: pki.serverKey, tlsClientCa: pki.caCert });
  });
  after(() => server.close());

  const client = (
    transport: "grpc" | "connect" | "grpc-web",
    tls: { cert?: string; key?: string } = {},
    headers = {},
  ) =>
    connectPresignd({
      baseUrl: server.url,
      transport,
      headers,
      tls: { ca: pem(pki.caCert), ...(tls.cert ? { cert: pem(tls.cert), key: pem(tls.key as string) } : {}) },
    });

  it("serves https", () => assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/));

  for (const transport of ["grpc", "connect", "grpc-web"] as const) {
    it(`a client certificate is the identity (${transport})`, async () => {
      const res = await client(transport, pki.client("backend.internal")).service.getObject({ key: "services/a" });
      assert.match(res.url, /\/dev\/services\/a\?/);
    });
  }

  it("the certificate's identity is held to the policy", async () => {
    const error = await refusal(client("grpc", pki.client("backend.internal")).service.getObject({ key: "alice/a" }));
    assert.equal(error.code, Code.PermissionDenied);
    assert.match(error.rawMessage, /no rule allows cert:backend\.internal to get/);
  });

  it("an untrusted client certificate is UNAUTHENTICATED, not a handshake failure", async () => {
    const error = await refusal(
      client("grpc", pki.rogueClient("backend.internal")).service.getObject({ key: "services/a" }),
    );
    assert.equal(error.code, Code.Unauthenticated);
    assert.match(error.rawMessage, /^client certificate not accepted: /);
  });

  it("without a certificate, API keys still work over TLS (HTTP/1.1 too)", async () => {
    const res = await connectPresignd({
      baseUrl: server.url,
      transport: "connect",
      httpVersion: "1.1",
      headers: { "x-api-key": KEYS.alice },
      tls: { ca: pem(pki.caCert) },
    }).service.getObject({ key: "alice/a" });
    assert.match(res.url, /\/dev\/alice\/a\?/);
  });

  it("audit records say mtls", () => {
    assert.ok(server.logs.some((l) => l.audit === true && l.principal === "backend.internal" && l.auth === "mtls"));
  });

  describe("the REST shape takes the RPCs' identity path", () => {
    /** GET /presign/<key> over HTTPS (HTTP/1.1, or HTTP/2 by ALPN), with a client certificate or not. */
    const rest = async (
      key: string,
      options: { cert?: { cert: string; key: string }; headers?: [string, string][]; http2?: boolean } = {},
    ) => {
      const res = await curl(`${server.url}/presign/${key}?method=GET`, {
        ...(options.http2 ? { http2: true } : {}),
        ...(options.headers ? { headers: options.headers } : {}),
        tls: { ca: pki.caCert, ...options.cert },
      });
      return { status: res.status, body: JSON.parse(res.body.toString()) as Record<string, string> };
    };

    for (const http2 of [false, true]) {
      it(`alice's certificate alone decides as alice (HTTP/${http2 ? "2" : "1.1"})`, async () => {
        const alice = pki.client("alice");
        const ok = await rest("alice/a.txt", { cert: alice, http2, headers: [["x-request-id", `rest-mtls-${http2}`]] });
        assert.equal(ok.status, 200, JSON.stringify(ok.body));
        assert.match(ok.body.URL ?? "", /\/dev\/alice\/a\.txt\?/);
        const audit = server.logs.find((l) => l.audit === true && l.request_id === `rest-mtls-${http2}`);
        assert.equal(audit?.principal, "alice");
        assert.equal(audit?.auth, "mtls");
        const denied = await rest("services/a", { cert: alice, http2 });
        assert.equal(denied.status, 403);
        assert.match(denied.body.message ?? "", /no rule allows cert:alice to get/);
      });
    }

    it("an untrusted certificate is refused as on the RPCs", async () => {
      const rogue = pki.rogueClient("backend.internal");
      const rpc = await refusal(client("connect", rogue).service.getObject({ key: "services/a" }));
      const res = await rest("services/a", { cert: rogue });
      assert.equal(res.status, 401);
      assert.deepEqual(res.body, { code: "unauthenticated", message: rpc.rawMessage });
      assert.match(rpc.rawMessage, /^client certificate not accepted: /);
    });

    const twoCredentials = /^ambiguous credentials: a client certificate and an x-api-key header were sent; send only/;
    for (const [name, cert, apiKey] of [
      ["an untrusted certificate plus a valid API key", () => pki.rogueClient("alice"), KEYS.alice],
      ["alice's trusted certificate plus bob's API key", () => pki.client("alice"), KEYS.bob],
    ] as const) {
      it(`${name}: refused as two credentials, on the RPCs and on REST`, async () => {
        for (const transport of ["grpc", "connect", "grpc-web"] as const) {
          const error = await refusal(
            client(transport, cert(), { "x-api-key": apiKey }).service.getObject({ key: "alice/a.txt" }),
          );
          assert.equal(Code[error.code], Code[Code.Unauthenticated], `${transport}: ${error.rawMessage}`);
          assert.match(error.rawMessage, twoCredentials, transport);
        }
        for (const http2 of [false, true]) {
          const res = await rest("alice/a.txt", { cert: cert(), http2, headers: [["x-api-key", apiKey]] });
          assert.equal(res.status, 401, JSON.stringify(res.body));
          assert.equal(res.body.code, "unauthenticated");
          assert.match(res.body.message ?? "", twoCredentials);
        }
      });
    }

    it("a certificate plus an Authorization header is two credentials as well", async () => {
      const res = await rest("alice/a.txt", {
        cert: pki.client("alice"),
        headers: [["authorization", `Bearer ${KEYS.alice}`]],
      });
      assert.equal(res.status, 401);
      assert.match(
        res.body.message ?? "",
        /^ambiguous credentials: a client certificate and an Authorization header were/,
      );
    });
  });
});
