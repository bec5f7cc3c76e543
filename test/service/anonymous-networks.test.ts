import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { KEYS, sha256, writePolicy } from "../support/policy.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// Callers that cannot send credentials (the aws-sdk-go presignURL example
// client) are admitted only by rules naming "anonymous", from listed networks.
const policy = (networks: string) => `principals:
  - name: alice
    api_key_sha256: ["${sha256(KEYS.alice)}"]
rules:
  - name: lan
    principals: [anonymous]
    networks: ${networks}
    operations: [get, put]
    buckets: [dev]
    keys: ["public/*"]
  - name: everyone-authenticated
    principals: ["*"]
    operations: [get]
    buckets: [dev]
    keys: ["members/*"]
`;

async function rest(server: TestServer, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/presign/${path}`, { headers });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe("anonymous callers from listed networks", () => {
  const servers: TestServer[] = [];
  const serve = async (networks: string, overrides: Parameters<typeof startTestServer>[0] = {}) => {
    const server = await startTestServer({ policy: await writePolicy(policy(networks)), ...overrides });
    servers.push(server);
    return server;
  };
  after(async () => {
    for (const s of servers) await s.close();
  });

  let lan: TestServer;
  before(async () => {
    lan = await serve('["10.0.0.0/8", "127.0.0.1/32"]');
  });

  it("no credentials from a listed network: allowed by the anonymous rule, audited with the address", async () => {
    const got = await rest(lan, "public/a.txt?method=GET");
    assert.equal(got.status, 200, JSON.stringify(got.body));
    assert.match(String(got.body.URL), /\/dev\/public\/a\.txt\?/);
    const put = await rest(lan, "public/empty.txt?method=PUT&contentLength=3");
    assert.equal(put.status, 200);
    const audit = lan.logs.find((l) => l.audit === true && l.principal === "anonymous" && l.decision === "allow");
    assert.equal(audit?.auth, "anonymous");
    assert.equal(audit?.peer, "127.0.0.1");
  });

  it('"*" means authenticated callers only: anonymous ones do not get it', async () => {
    const got = await rest(lan, "members/a.txt?method=GET");
    assert.equal(got.status, 403);
    assert.match(String(got.body.message), /no rule allows anonymous to get/);
  });

  it("a credential that fails is unauthenticated, never downgraded to anonymous", async () => {
    const got = await rest(lan, "public/a.txt?method=GET", { "x-api-key": "wrong-key-0123456789" });
    assert.deepEqual([got.status, got.body.message], [401, "invalid API key"]);
    const authed = await rest(lan, "members/a.txt?method=GET", { "x-api-key": KEYS.alice });
    assert.equal(authed.status, 200);
  });

  it("from outside the listed networks, no credentials stays unauthenticated", async () => {
    const far = await serve('["10.0.0.0/8"]');
    const got = await rest(far, "public/a.txt?method=GET");
    assert.equal(got.status, 401);
    assert.match(String(got.body.message), /^missing credentials/);
  });

  it("X-Forwarded-For counts only from --trusted-proxies", async () => {
    const behindProxy = await serve('["10.0.0.0/8"]', { trustedProxies: "127.0.0.1/32" });
    const via = await rest(behindProxy, "public/a.txt?method=GET", { "x-forwarded-for": "203.0.113.9, 10.1.2.3" });
    assert.equal(via.status, 200, "the proxy says the caller is 10.1.2.3");
    const outside = await rest(behindProxy, "public/a.txt?method=GET", { "x-forwarded-for": "10.1.2.3, 203.0.113.9" });
    assert.equal(outside.status, 401, "the nearest untrusted hop is 203.0.113.9");
    const far = servers[1] as TestServer; // 10.0.0.0/8 only, no trusted proxies
    const spoofed = await rest(far, "public/a.txt?method=GET", { "x-forwarded-for": "10.1.2.3" });
    assert.equal(spoofed.status, 401, "without a trusted proxy the header is ignored");
  });

  it("IPv6 networks match IPv6 peers", async () => {
    const v6 = await serve('["::1/128"]', { addr: "[::1]:0" });
    const got = await rest(v6, "public/a.txt?method=GET");
    assert.equal(got.status, 200, JSON.stringify(got.body));
  });

  it("an anonymous rule without networks, or a bad CIDR, is refused at start", async () => {
    const noNetworks = `rules:
  - name: open
    principals: [anonymous]
    operations: [get]
    buckets: ["*"]
    keys: ["*"]
`;
    await assert.rejects(
      startTestServer({ policy: await writePolicy(noNetworks) }),
      /rules\[0\]\.principals: "anonymous" \(callers without credentials\) needs networks/,
    );
    await assert.rejects(
      startTestServer({ policy: await writePolicy(policy('["10.0.0.0/33"]')) }),
      /rules\[0\]\.networks\[0\]: "10\.0\.0\.0\/33" is not a CIDR/,
    );
    await assert.rejects(
      startTestServer({ trustedProxies: "proxy.local" }),
      /--trusted-proxies \(PRESIGND_TRUSTED_PROXIES\)/,
    );
  });
});
