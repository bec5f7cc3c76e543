import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { connectPresignd } from "../../src/cli/node-client.js";
import { HandleKind, Operation } from "../../src/gen/presign/v1/presign_pb.js";
import { makePki, pem } from "../support/certs.js";
import { createTestIssuer, TEST_ISSUER as ISSUER, type TestIssuer } from "../support/jwt-issuer.js";
import { KEYS, sha256, writePolicy } from "../support/policy.js";
import { refusal } from "../support/refusal.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// Regression tests for the adversarial review's authorization holes (issue #15),
// one per case, each of which signed something outside the policy before.

const SECRET = Buffer.alloc(32, 9).toString("base64");
const MiB = 1024n * 1024n;

interface Options {
  svcGroups?: string;
  withSvc?: boolean;
}

function policyText(jwksFile: string, o: Options = {}): string {
  const svc =
    o.withSvc === false
      ? ""
      : `  - name: svc
    api_key_sha256: ["${sha256(KEYS.bob)}"]
    groups: ${o.svcGroups ?? "[services]"}
`;
  return `principals:
  - name: alice
    api_key_sha256: ["${sha256(KEYS.alice)}"]
${svc}  - name: admin
    api_key_sha256: ["${sha256(KEYS.admin)}"]
    groups: [services]
jwt:
  jwks_file: ${jwksFile}
  issuer: ${ISSUER}
  audience: presignd
  groups_claim: groups
handles:
  keys:
    - kid: k1
      secret_base64: "${SECRET}"
rules:
  - name: own
    principals: ["*"]
    operations: [get, put, post, multipart]
    buckets: [dev]
    keys: ["\${sub}/*", "users/\${sub}/*"]
  - name: alice-only
    principals: [alice]
    operations: [put]
    buckets: [dev]
    keys: ["shared/alice-only/*"]
  - name: services
    principals: ["group:services"]
    operations: [get, put, multipart]
    buckets: [dev]
    keys: ["secret/*"]
    max_content_length: ${100n * MiB}
  - name: idp-services
    principals: ["jwt-group:services"]
    operations: [get]
    buckets: [dev]
    keys: ["idp/*"]
`;
}

describe("authorization holes from the adversarial review (#15)", () => {
  let server: TestServer;
  let policyPath: string;
  let jwksFile: string;
  const keyed = (key: string) => connectPresignd({ baseUrl: server.url, headers: { "x-api-key": key } }).service;
  const bearer = (jwt: string) =>
    connectPresignd({ baseUrl: server.url, headers: { authorization: `Bearer ${jwt}` } }).service;
  let issuer: TestIssuer;
  const token = (claims: Record<string, unknown>) => issuer.token(claims);
  const rawToken = (claims: Record<string, unknown>) => issuer.rawToken(claims);
  const reload = async (o: Options) => {
    await writeFile(policyPath, policyText(jwksFile, o));
    await server.reloadPolicy?.();
  };

  before(async () => {
    policyPath = await writePolicy("placeholder: true");
    issuer = await createTestIssuer(dirname(policyPath));
    jwksFile = issuer.jwksFile;
    await writeFile(policyPath, policyText(jwksFile));
    server = await startTestServer({ policy: policyPath, logKeys: "hash", handleStore: "memory" });
  });
  after(() => server.close());

  describe("1. template substitution is literal", () => {
    for (const [sub, key] of [
      ["$`bob", "bob/x"],
      ["$$", "$/x"],
      ["$&", "users/${sub}/x"],
      ["bob$'", "users/bob/x"],
    ] as const) {
      it(`JWT sub ${JSON.stringify(sub)} does not reach ${key}`, async () => {
        const error = await refusal(bearer(await token({ sub })).putObject({ key, contentLength: 1n }));
        assert.equal(error.code, Code.PermissionDenied);
        assert.match(error.rawMessage, /the caller's subject cannot fill "\$\{sub\}"/);
      });
    }
    it("a safe subject still fills ${sub}", async () => {
      const res = await bearer(await token({ sub: "carol" })).putObject({ key: "carol/x", contentLength: 1n });
      assert.match(res.url, /\/dev\/carol\/x\?/);
    });
  });

  describe("2. each authentication method has its own namespace", () => {
    it("a JWT whose sub is alice does not get the API-key principal alice's rules", async () => {
      const jwt = await token({ sub: "alice" });
      const error = await refusal(bearer(jwt).putObject({ key: "shared/alice-only/x", contentLength: 1n }));
      assert.equal(error.code, Code.PermissionDenied);
      assert.match(error.rawMessage, /no rule allows jwt:alice to put/);
      // The API key alice keeps them (the bare name was migrated to key:alice).
      await keyed(KEYS.alice).putObject({ key: "shared/alice-only/x", contentLength: 1n });
      assert.ok(
        server.logs.some(
          (l) =>
            l.msg === "policy: ambiguous or inert entry" &&
            /rules\[1\]\.principals\[0\]: bare "alice" is read as key:alice/.test(String(l.policy_warning)),
        ),
      );
    });
    it("IdP groups are jwt-group:, never the policy's group:", async () => {
      const jwt = await token({ sub: "mallory", groups: ["services"] });
      const error = await refusal(bearer(jwt).getObject({ key: "secret/x" }));
      assert.equal(error.code, Code.PermissionDenied);
      const idp = await bearer(jwt).getObject({ key: "idp/x" });
      assert.match(idp.url, /\/dev\/idp\/x\?/);
      const asKey = await refusal(keyed(KEYS.admin).getObject({ key: "idp/x" }));
      assert.equal(asKey.code, Code.PermissionDenied);
    });
    it("a bare name that is no API-key principal is refused at start, naming where", async () => {
      const path = await writePolicy(`principals:
  - name: alice
    api_key_sha256: ["${sha256(KEYS.alice)}"]
rules:
  - name: r
    principals: [carol]
    operations: [get]
    buckets: ["*"]
    keys: ["*"]
`);
      await assert.rejects(startTestServer({ policy: path }), (error: Error) => {
        assert.match(
          error.message,
          /policy\.yaml:6:18: rules\[0\]\.principals\[0\]: "carol" is not a namespaced principal/,
        );
        return true;
      });
    });
  });

  describe("3. JWT claims keep their JSON types", () => {
    for (const [claims, claim] of [
      [{ sub: ["alice"] }, "sub"],
      [{ sub: 42 }, "sub"],
      [{ sub: { name: "alice" } }, "sub"],
      [{ sub: "alice", aud: ["presignd", 7] }, "aud"],
      [{ sub: "alice", groups: "services" }, "groups"],
      [{ sub: "alice", groups: ["services", 1] }, "groups"],
    ] as const) {
      it(`${JSON.stringify(claims)} is unauthenticated, naming "${claim}"`, async () => {
        const error = await refusal(bearer(await rawToken(claims)).getObject({ key: "alice/x" }));
        assert.equal(error.code, Code.Unauthenticated);
        assert.match(error.rawMessage, new RegExp(`^invalid JWT: token claim "${claim}" must be`));
      });
    }
  });

  describe("4. handles and upload tokens are decided as their minter is now", () => {
    for (const kind of [HandleKind.SEALED, HandleKind.STORED]) {
      it(`${HandleKind[kind]}: removed from the group, then from the policy, the minter's handle stops working`, async () => {
        await reload({});
        const { handle } = await keyed(KEYS.bob).createHandle({
          key: "secret/report.csv",
          operations: [Operation.GET, Operation.PUT],
          kind,
        });
        await keyed(KEYS.alice).getObject({ handle });
        await reload({ svcGroups: "[]" });
        for (const call of [
          keyed(KEYS.alice).getObject({ handle }),
          keyed(KEYS.alice).putObject({ handle, contentLength: 1n }),
        ]) {
          const error = await refusal(call);
          assert.equal(error.code, Code.PermissionDenied);
          assert.doesNotMatch(error.rawMessage, /svc/, "the minter's name is not told to the holder");
        }
        await reload({ withSvc: false });
        const gone = await refusal(keyed(KEYS.alice).getObject({ handle }));
        assert.deepEqual(
          [gone.code, gone.rawMessage],
          [Code.PermissionDenied, "permission denied: the handle's minter no longer holds this right"],
        );
        assert.ok(
          server.logs.some(
            (l) =>
              l.audit === true && l.decision === "deny" && /minter svc is no longer a principal/.test(String(l.reason)),
          ),
          "the audit record says why",
        );
        await reload({});
      });
    }
    it("an upload token stops working when its owner leaves the group", async () => {
      await reload({});
      const upload = await keyed(KEYS.bob).createMultipartUpload({
        key: "secret/big.bin",
        maxSize: 20n * MiB,
        partSize: 5n * MiB,
      });
      await keyed(KEYS.bob).presignUploadParts({
        uploadToken: upload.uploadToken,
        parts: [{ partNumber: 1, contentLength: 5n * MiB }],
      });
      await reload({ svcGroups: "[]" });
      const error = await refusal(
        keyed(KEYS.bob).presignUploadParts({
          uploadToken: upload.uploadToken,
          parts: [{ partNumber: 2, contentLength: 5n * MiB }],
        }),
      );
      assert.equal(error.code, Code.PermissionDenied);
      await reload({});
    });
  });

  describe("5. a URL never outlives the handle that authorised it", () => {
    for (const kind of [HandleKind.SEALED, HandleKind.STORED]) {
      it(`${HandleKind[kind]}: a 3 s handle gives URLs of at most 3 s, whatever is asked`, async () => {
        const { handle, expiresAt } = await keyed(KEYS.alice).createHandle({
          key: "alice/short.txt",
          operations: [Operation.GET, Operation.PUT],
          expiresIn: { seconds: 3n },
          kind,
        });
        const get = await keyed(KEYS.bob).getObject({ handle, expiresIn: { seconds: 3600n } });
        const put = await keyed(KEYS.bob).putObject({ handle, contentLength: 1n, expiresIn: { seconds: 3600n } });
        for (const res of [get, put]) {
          assert.ok(Number(new URL(res.url).searchParams.get("X-Amz-Expires")) <= 3);
          assert.ok(Number(res.expiresAt?.seconds) <= Number(expiresAt?.seconds));
        }
      });
    }
  });

  describe("11. smaller holes", () => {
    it("a C1 control character (U+0085) in a key is invalid_argument", async () => {
      const error = await refusal(keyed(KEYS.alice).getObject({ key: "alice/a\u0085b" }));
      assert.equal(error.code, Code.InvalidArgument);
      assert.match(error.rawMessage, /^key: must not contain control characters/);
    });
    it('a "${filename}" POST needs a rule with allow_filename', async () => {
      const error = await refusal(keyed(KEYS.alice).postPolicy({ key: "alice/${filename}", maxContentLength: 10n }));
      assert.equal(error.code, Code.PermissionDenied);
      assert.match(error.rawMessage, /"\$\{filename\}" keys need allow_filename: true/);
      // A fixed key under the same rule is fine.
      await keyed(KEYS.alice).postPolicy({ key: "alice/a.txt", maxContentLength: 10n });
    });
  });
});

describe("mTLS certificate names are subjects like any other (#15 item 1)", () => {
  it("a certificate named $`bob does not reach bob/", async () => {
    const pki = makePki();
    const policy = await writePolicy(`principals:
  - name: alice
    api_key_sha256: ["${sha256(KEYS.alice)}"]
rules:
  - name: own
    principals: ["*"]
    operations: [put]
    buckets: [dev]
    keys: ["\${sub}/*"]
`);
    const server = await startTestServer({
      policy,
      tlsCert: pki.serverCert,
      tlsKey: pki.serverKey,
      tlsClientCa: pki.caCert,
    });
    try {
      const cert = pki.client("$`bob");
      const client = connectPresignd({
        baseUrl: server.url,
        transport: "grpc",
        tls: { ca: pem(pki.caCert), cert: pem(cert.cert), key: pem(cert.key) },
      });
      const error = await refusal(client.service.putObject({ key: "bob/x", contentLength: 1n }));
      assert.equal(error.code, Code.PermissionDenied);
      assert.match(error.rawMessage, /the caller's subject cannot fill/);
    } finally {
      await server.close();
    }
  });
});
