import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { ROOT, run } from "../support/run.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// Debian's Python (not a pyenv one) with python3-grpcio and python3-grpc-tools:
// .ci/run installs them; `npm run test:python` runs this file.
const PYTHON = process.env.PRESIGND_TEST_PYTHON ?? "/usr/bin/python3";

describe("a Python grpcio client (stubs generated from proto/ on the fly)", () => {
  let server: TestServer;
  before(async () => {
    assert.ok(existsSync(PYTHON), `${PYTHON} missing: apt-get install python3-grpcio python3-grpc-tools`);
    server = await startTestServer();
  });
  after(() => server.close());

  it("calls GetObject and reads INVALID_ARGUMENT with the field", async () => {
    const res = await run(PYTHON, [
      `${ROOT}test/debian/python/presign_client.py`,
      new URL(server.url).host,
      `${ROOT}proto`,
      "from/python ü.txt",
    ]);
    assert.equal(res.code, 0, res.stderr);
    const [answer, failure] = res.stdout
      .toString()
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.equal(answer?.method, "GET");
    assert.match(String(answer?.url), /\/dev\/from\/python%20%C3%BC\.txt\?/);
    assert.ok(Number(answer?.expires_at) * 1000 > Date.now());
    assert.deepEqual(failure, { code: "INVALID_ARGUMENT", details: "key: must not be empty" });
  });
});
