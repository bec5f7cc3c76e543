import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { connectPresignd } from "../../src/cli/node-client.js";
import { DEV_CREDENTIALS } from "../../src/server/s3/dev-s3.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe("logs: one line per RPC, never a secret", () => {
  let server: TestServer;
  const signatures: string[] = [];
  before(async () => {
    server = await startTestServer({ logKeys: "hash" });
    const client = connectPresignd({ baseUrl: server.url });
    const a = await client.service.getObject({ key: "secret/customer-42.pdf" });
    const b = await client.service.putObject({ key: "secret/customer-42.pdf", contentLength: 3n });
    const c = await client.service.postPolicy({ key: "secret/customer-42.pdf", maxContentLength: 3n });
    await client.service.getObject({ key: "" }).catch(() => {});
    signatures.push(
      new URL(a.url).searchParams.get("X-Amz-Signature") ?? "",
      new URL(b.url).searchParams.get("X-Amz-Signature") ?? "",
      c.fields["X-Amz-Signature"] ?? "",
      c.fields.Policy ?? "",
    );
  });
  after(() => server.close());

  it("writes one line per RPC with method, protocol, code and duration", () => {
    const rpcs = server.logs.filter((line) => line.msg === "rpc");
    assert.deepEqual(
      rpcs.map((line) => [line.rpc, line.code]),
      [
        ["GetObject", "ok"],
        ["PutObject", "ok"],
        ["PostPolicy", "ok"],
        ["GetObject", "invalid_argument"],
      ],
    );
    // The client sends the side-effect-free GetObject as a Connect GET.
    assert.deepEqual(
      rpcs.map((line) => line.protocol),
      ["connect-get", "connect-proto", "connect-proto", "connect-get"],
    );
    for (const line of rpcs) {
      assert.equal(typeof line.ms, "number");
    }
  });

  it("logs a key hash with --log-keys hash, not the key", () => {
    const text = server.logText();
    assert.ok(!text.includes("customer-42"), "key leaked into logs");
    assert.ok(server.logs.some((line) => typeof line.key_sha256 === "string"));
  });

  it("never logs signatures, policies or credentials", () => {
    const text = server.logText();
    for (const secret of [...signatures, DEV_CREDENTIALS.secretAccessKey, "X-Amz-Signature", "X-Amz-Credential"]) {
      assert.ok(secret.length > 0);
      assert.ok(!text.includes(secret), `found ${secret.slice(0, 12)}… in the logs`);
    }
  });
});
