import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { PRESIGND, run } from "../support/run.js";

// The README's --trusted-proxies / PRESIGND_TRUSTED_PROXIES reach the server's
// validation from the command line (a balancer's X-Forwarded-For needs them).
describe("presignd serve --trusted-proxies", () => {
  const refused = "presignd: --trusted-proxies (PRESIGND_TRUSTED_PROXIES): ";
  it("the flag is parsed and validated, naming the setting", async () => {
    const { code, stderr } = await run(PRESIGND, ["serve", "--dev", "--trusted-proxies", "10.0.0.0/"], {
      timeoutMs: 15_000,
    });
    assert.equal(code, 1, stderr);
    assert.ok(stderr.startsWith(refused), stderr);
    assert.match(stderr, /10\.0\.0\.0\//);
  });

  it("so is PRESIGND_TRUSTED_PROXIES", async () => {
    const { code, stderr } = await run(PRESIGND, ["serve", "--dev"], {
      env: { PRESIGND_TRUSTED_PROXIES: "10.0.0.0/" },
      timeoutMs: 15_000,
    });
    assert.equal(code, 1, stderr);
    assert.ok(stderr.startsWith(refused), stderr);
  });
});
