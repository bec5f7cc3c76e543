import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, createClient } from "@connectrpc/connect";
import { SignJWT } from "jose";
import { connectPresignd, type NodePresignClient, nodeTransport } from "../../src/cli/node-client.js";
import { Health } from "../../src/gen/grpc/health/v1/health_pb.js";
import { createTestIssuer, TEST_ISSUER as ISSUER, type TestIssuer } from "../support/jwt-issuer.js";
import { KEYS, sha256, writePolicy } from "../support/policy.js";
import { rawRequest } from "../support/raw-http.js";
import { refusal } from "../support/refusal.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

function policyText(jwksFile: string, extraBob = ""): string {
  return `# test policy
principals:
  - name: alice
    api_key_sha256: ["${sha256(KEYS.alice)}"]
    groups: [uploaders]
  - name: bob
    api_key_sha256: ["${sha256(KEYS.bob)}"]
jwt:
  jwks_file: ${jwksFile}
  issuer: ${ISSUER}
  audience: presignd
  clock_skew: 5s
rules:
  - name: home
    principals: ["*"]
    operations: [get, put, post]
    buckets: [dev]
    keys: ["users/\${sub}/*"]
    max_content_length: 1048576
    max_ttl: 10m
    allow_filename: true
  - name: public-read
    principals: ["group:uploaders"]
    operations: [get]
    buckets: ["*"]
    keys: ["public/*"]
  - name: images
    principals: ["key:alice"]
    operations: [put, post]
    buckets: [dev]
    keys: ["images/*"]
    content_types: ["image/*"]
    required_metadata: [owner]
${extraBob}`;
}

describe("authentication and per-caller policy", () => {
  let server: TestServer;
  let policyPath: string;
  let jwksFile: string;
  const as = (headers: Record<string, string>): NodePresignClient => connectPresignd({ baseUrl: server.url, headers });
  const alice = () => as({ "x-api-key": KEYS.alice });
  const bob = () => as({ authorization: `Bearer ${KEYS.bob}` });
  let issuer: TestIssuer;
  const token = (claims: Record<string, unknown>, options: { exp?: string; aud?: string } = {}) =>
    issuer.token(claims, options);

  before(async () => {
    policyPath = await writePolicy("placeholder: true");
    issuer = await createTestIssuer(dirname(policyPath));
    jwksFile = issuer.jwksFile;
    await writeFile(policyPath, policyText(jwksFile));
    server = await startTestServer({ policy: policyPath, logKeys: "hash" });
  });
  after(() => server.close());

  async function refused(call: Promise<unknown>, code: Code, message: RegExp): Promise<void> {
    const error = await refusal(call);
    assert.equal(Code[error.code], Code[code], error.rawMessage);
    assert.match(error.rawMessage, message);
  }
  const get = (c: NodePresignClient, key: string) => c.service.getObject({ key });
  const put = (c: NodePresignClient, key: string, extra = {}) =>
    c.service.putObject({ key, contentLength: 10n, ...extra });

  describe("unauthenticated", () => {
    it("without credentials", () =>
      refused(get(as({}), "users/alice/a"), Code.Unauthenticated, /^missing credentials: send Authorization: Bearer/));
    it("with a wrong API key", () =>
      refused(get(as({ "x-api-key": "guess" }), "a"), Code.Unauthenticated, /^invalid API key$/));
    it("with a malformed Authorization header", () =>
      refused(get(as({ authorization: "Basic abc" }), "a"), Code.Unauthenticated, /^malformed Authorization header/));
    it("with both Authorization and x-api-key", () =>
      refused(
        get(as({ authorization: `Bearer ${KEYS.bob}`, "x-api-key": KEYS.alice }), "a"),
        Code.Unauthenticated,
        /^ambiguous credentials: an Authorization header and an x-api-key header were sent; send only one credential$/,
      ));
    it("but health and reflection stay open", async () => {
      const health = createClient(Health, nodeTransport({ baseUrl: server.url }));
      assert.ok((await health.check({})).status);
    });
  });

  describe("API keys and key templates", () => {
    it("alice may write and read under users/alice/", async () => {
      const res = await put(alice(), "users/alice/a.txt");
      assert.match(res.url, /\/dev\/users\/alice\/a\.txt\?/);
      await get(alice(), "users/alice/a.txt");
    });
    it("but not under users/bob/, and the denial names no template", async () => {
      const error = await refusal(put(alice(), "users/bob/a.txt"));
      assert.equal(error.code, Code.PermissionDenied);
      assert.equal(error.rawMessage, 'permission denied: no rule allows key:alice to put this key in bucket "dev"');
    });
    it("prefix escapes are refused before matching", async () => {
      await refused(put(alice(), "users/alice/../bob/x"), Code.InvalidArgument, /"\.\." path segment/);
      await refused(put(alice(), "users/alice//x"), Code.PermissionDenied, /not in normal form/);
      await refused(put(alice(), "users/alice\u0000/x"), Code.InvalidArgument, /control characters/);
      await refused(put(alice(), "users/alicex/y"), Code.PermissionDenied, /no rule allows/);
    });
    it("the REST shape refuses dot segments as the RPCs do, also percent-encoded", async () => {
      // As sent: a WHATWG URL parser (fetch, browsers) would resolve "%2e%2e" before sending,
      // and presignd would then be asked, and refuse, users/bob/a.txt.
      for (const path of ["users/alice/%2e%2e/bob/a.txt", "users/alice/%2E%2E/bob/a.txt", "users/alice/../bob/a.txt"]) {
        const res = await rawRequest(`${server.url}/presign/${path}?method=GET`, {
          headers: { "x-api-key": KEYS.alice },
        });
        assert.equal(res.status, 400, path);
        assert.deepEqual(JSON.parse(res.body.toString()), {
          code: "invalid_argument",
          message: 'key: must not contain a ".." path segment',
        });
      }
      await refused(
        get(alice(), "users/alice/../bob/a.txt"),
        Code.InvalidArgument,
        /^key: must not contain a "\.\." path/,
      );
    });
    it("a group rule: uploaders (alice) may read public/, bob may not", async () => {
      await get(alice(), "public/readme.txt");
      await refused(get(bob(), "public/readme.txt"), Code.PermissionDenied, /no rule allows key:bob to get/);
    });
    it("rule conditions: length, content type, required metadata, TTL cap", async () => {
      await refused(
        put(alice(), "users/alice/big", { contentLength: 2n * 1024n * 1024n }),
        Code.PermissionDenied,
        /rule "home": content length above 1048576 bytes/,
      );
      await put(alice(), "images/cat.png", { contentType: "image/png", metadata: { owner: "alice" } });
      await refused(
        put(alice(), "images/cat.png", { contentType: "image/png" }),
        Code.PermissionDenied,
        /metadata owner is required/,
      );
      await refused(
        put(alice(), "images/cat.txt", { contentType: "text/plain", metadata: { owner: "a" } }),
        Code.PermissionDenied,
        /content type must be one of image\/\*/,
      );
      const capped = await alice().service.getObject({ key: "users/alice/a.txt", expiresIn: { seconds: 3600n } });
      assert.equal(new URL(capped.url).searchParams.get("X-Amz-Expires"), "600");
    });
    it("POST policies follow the same rules, prefixes included", async () => {
      await alice().service.postPolicy({ key: "users/alice/${filename}", maxContentLength: 100n });
      await alice().service.postPolicy({ keyPrefix: "users/alice/uploads/", maxContentLength: 100n });
      await refused(
        alice().service.postPolicy({ keyPrefix: "users/", maxContentLength: 100n }),
        Code.PermissionDenied,
        /no rule allows/,
      );
      await refused(
        alice().service.postPolicy({ key: "users/${filename}", maxContentLength: 100n }),
        Code.PermissionDenied,
        /no rule allows/,
      );
    });
  });

  describe("JWT bearer tokens", () => {
    it("a valid token: its subject fills ${sub}, in Unicode NFC", async () => {
      const jwt = await token({ sub: "zoë" });
      const res = await put(as({ authorization: `Bearer ${jwt}` }), "users/zoe\u0308/n.txt");
      assert.match(res.url, /\/dev\/users\/zo%C3%AB\/n\.txt\?/, "the NFC key is signed");
    });
    it("a subject that would widen the template matches nothing", async () => {
      // Substituted naively, sub "a/b" would own user a's folder b, and "*" the key "users/*/…".
      for (const [sub, key] of [
        ["a/b", "users/a/b/x"],
        ["*", "users/*/x"],
        ["..", "users/x"],
      ] as const) {
        const jwt = await token({ sub });
        await refused(
          put(as({ authorization: `Bearer ${jwt}` }), key),
          Code.PermissionDenied,
          /the caller's subject cannot fill "\$\{sub\}"/,
        );
      }
      const empty = await token({ sub: "" });
      await refused(
        put(as({ authorization: `Bearer ${empty}` }), "users/x"),
        Code.Unauthenticated,
        /claim "sub" must be a non-empty string/,
      );
    });
    it("expired, wrong audience, alg=none and HS256 tokens are refused", async () => {
      const expired = await token({ sub: "zoë" }, { exp: "-1h" });
      await refused(
        get(as({ authorization: `Bearer ${expired}` }), "users/zoë/x"),
        Code.Unauthenticated,
        /^invalid JWT: token expired$/,
      );
      const wrongAud = await token({ sub: "zoë" }, { aud: "someone-else" });
      await refused(
        get(as({ authorization: `Bearer ${wrongAud}` }), "users/zoë/x"),
        Code.Unauthenticated,
        /token claim "aud"/,
      );
      const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
      const payload = b64({ sub: "zoë", iss: ISSUER, aud: "presignd", exp: Math.floor(Date.now() / 1000) + 60 });
      const none = `${b64({ alg: "none" })}.${payload}.`;
      await refused(
        get(as({ authorization: `Bearer ${none}` }), "users/zoë/x"),
        Code.Unauthenticated,
        /^invalid JWT: /,
      );
      const hs = await new SignJWT({ sub: "zoë" })
        .setProtectedHeader({ alg: "HS256" })
        .setIssuer(ISSUER)
        .setAudience("presignd")
        .setExpirationTime("5m")
        .sign(new TextEncoder().encode("a shared secret of 32 bytes ...."));
      await refused(
        get(as({ authorization: `Bearer ${hs}` }), "users/zoë/x"),
        Code.Unauthenticated,
        /^invalid JWT: token algorithm not allowed$/,
      );
    });
  });

  describe("audit and logs", () => {
    it("one audit record per decision, with principal, rule and request id", async () => {
      await alice().service.getObject(
        { key: "users/alice/audited.txt" },
        { headers: { "x-request-id": "req-audit-1" } },
      );
      const records = server.logs.filter((l) => l.audit === true && l.request_id === "req-audit-1");
      assert.equal(records.length, 1);
      assert.deepEqual(
        { ...records[0], time: 0, key_sha256: typeof records[0]?.key_sha256 },
        {
          level: 30,
          time: 0,
          service: "presignd",
          audit: true,
          principal: "alice",
          auth: "api-key",
          operation: "get",
          bucket: "dev",
          key_sha256: "string",
          decision: "allow",
          rule: "home",
          ttl_s: 600,
          request_id: "req-audit-1",
          msg: "audit",
        },
      );
      assert.ok(server.logs.some((l) => l.audit === true && l.decision === "deny" && l.principal === "bob"));
    });
    it("no API key, token or key name in any log line", () => {
      const text = server.logText();
      for (const secret of [KEYS.alice, KEYS.bob, "users/alice", "eyJ"]) assert.ok(!text.includes(secret), secret);
    });
  });

  describe("SIGHUP reload", () => {
    it("applies a new policy, and keeps the old one when the new one is invalid", async () => {
      await refused(put(bob(), "shared/x"), Code.PermissionDenied, /no rule allows/);
      const grant = `  - name: shared\n    principals: [bob]\n    operations: [put]\n    buckets: [dev]\n    keys: ["shared/*"]\n`;
      await writeFile(policyPath, policyText(jwksFile, grant));
      await server.reloadPolicy?.();
      await put(bob(), "shared/x");
      await writeFile(policyPath, "rules: [oops");
      await server.reloadPolicy?.();
      await put(bob(), "shared/x");
      assert.ok(server.logs.some((l) => l.msg === "policy reload failed; keeping the previous policy"));
    });
  });
});
