import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { connectPresignd } from "../../src/cli/node-client.js";
import { homePolicy, KEYS, writePolicy } from "../support/policy.js";
import { refusal } from "../support/refusal.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

/** The content-length-range condition of a returned POST policy. */
function lengthRange(fields: Record<string, string>): unknown {
  const policy = JSON.parse(Buffer.from(fields.Policy ?? "", "base64").toString()) as { conditions: unknown[] };
  return policy.conditions.find((c) => Array.isArray(c) && c[0] === "content-length-range");
}

// boto3's generate_presigned_post(Bucket, Key) names no size: presignd bounds
// such a policy by the rule's max_content_length, else --post-max-size.
describe("PostPolicy without max_content_length", () => {
  let servers: TestServer[] = [];
  after(async () => {
    for (const s of servers) await s.close();
    servers = [];
  });
  const serve = async (overrides: Parameters<typeof startTestServer>[0] = {}) => {
    const server = await startTestServer(overrides);
    servers.push(server);
    return server;
  };

  it("defaults to 5 GiB (S3's limit), stated in the policy, and the form uploads", async () => {
    const server = await serve();
    const client = connectPresignd({ baseUrl: server.url });
    const res = await client.service.postPolicy({ key: "forms/plain.txt" });
    assert.deepEqual(lengthRange(res.fields), ["content-length-range", 0, 5368709120]);
    const form = new FormData();
    for (const [name, value] of Object.entries(res.fields)) form.append(name, value);
    form.append("file", new Blob(["hello"]), "plain.txt");
    const uploaded = await fetch(res.url, { method: "POST", body: form });
    assert.ok(uploaded.status === 204 || uploaded.status === 200, `S3 answered ${uploaded.status}`);
  });

  it("--post-max-size sets the server's default", async () => {
    const server = await serve({ postMaxSize: "1MiB" });
    const res = await connectPresignd({ baseUrl: server.url }).service.postPolicy({ key: "a.txt" });
    assert.deepEqual(lengthRange(res.fields), ["content-length-range", 0, 1048576]);
    const tooSmall = await refusal(
      connectPresignd({ baseUrl: server.url }).service.postPolicy({
        key: "a.txt",
        minContentLength: 2n * 1048576n,
      }),
    );
    assert.equal(tooSmall.code, Code.InvalidArgument);
    assert.match(tooSmall.rawMessage, /^min_content_length: 2097152 is larger than max_content_length 1048576/);
  });

  it("the allowing rule's max_content_length comes first", async () => {
    const policy = await writePolicy(homePolicy({ operations: ["post"], rule: "    max_content_length: 1000\n" }));
    const server = await serve({ policy, postMaxSize: "1MiB" });
    const alice = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.alice } });
    const res = await alice.service.postPolicy({ key: "users/alice/a.txt" });
    assert.deepEqual(lengthRange(res.fields), ["content-length-range", 0, 1000]);
  });

  it("a bad --post-max-size is refused at start, naming the setting", async () => {
    for (const value of ["6GiB", "0", "lots"]) {
      await assert.rejects(serve({ postMaxSize: value }), /^ConfigError: --post-max-size \(PRESIGND_POST_MAX_SIZE\): /);
    }
  });
});

describe("a bounded request keeps its own bound", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ postMaxSize: "1MiB" });
  });
  after(() => server.close());
  it("max_content_length from the request wins over the server default", async () => {
    const res = await connectPresignd({ baseUrl: server.url }).service.postPolicy({
      key: "b.txt",
      maxContentLength: 10n,
    });
    assert.deepEqual(lengthRange(res.fields), ["content-length-range", 0, 10]);
  });
});
