import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { createPresignClient } from "../../src/client/create-client.js";
import { makePki, pem, type TestPki } from "../support/certs.js";
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
rules:
  - name: services
    principals: ["cert:backend.internal"]
    operations: [get, put]
    buckets: ["*"]
    keys: ["services/*"]
  - name: alice
    principals: ["key:alice"]
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
    createPresignClient({
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
    const res = await createPresignClient({
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
});
