import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DEV_CREDENTIALS } from "../src/server/s3/dev-s3.js";
import { KEYS } from "./support/policy.js";
import { WEBHOOK_SECRET } from "./support/webhook-receiver.js";

// Runs after the rest of `npm test`, as its own step: every log and audit line that every test server
// wrote during the whole suite, searched for anything secret.
const dir = process.env.PRESIGND_TEST_LOG_DIR;

describe("no secret in any log or audit line of the whole test suite", () => {
  it("scans every line", () => {
    assert.ok(dir, "PRESIGND_TEST_LOG_DIR is not set: run the suite with `npm test`");
    const files = readdirSync(dir).filter((f) => f.endsWith(".log"));
    assert.ok(files.length >= 10, `only ${files.length} server logs collected`);
    let lines = 0;
    let audits = 0;
    const secrets: [string, RegExp][] = [
      ["the dev secret access key", new RegExp(`"[^"]*${DEV_CREDENTIALS.secretAccessKey}[^"]*"`)],
      ["an API key", new RegExp(Object.values(KEYS).join("|"))],
      ["a signature", /X-Amz-Signature|[0-9a-f]{64}/],
      ["a credential", /X-Amz-Credential|AKID|aws4_request/],
      ["a session token", /X-Amz-Security-Token|session-token/i],
      ["a JWT", /eyJ[\w-]+\.eyJ/],
      ["a POST policy", /"Policy"|eyJleHBpcmF0aW9u/],
      ["an object handle (stored or sealed)", /psh_[\w-]{43}|eyJhbGciOiJkaXIi/],
      // The suite's own secret, with or without its prefix, and any Standard Webhooks secret.
      ["a webhook secret", new RegExp(`whsec_|${WEBHOOK_SECRET.slice("whsec_".length).replace(/[+/=]/g, "\\$&")}`)],
    ];
    for (const file of files) {
      for (const line of readFileSync(join(dir, file), "utf8").split("\n").filter(Boolean)) {
        lines++;
        if (line.includes('"audit":true')) audits++;
        for (const [what, pattern] of secrets)
          assert.ok(!pattern.test(line), `${what} in ${file}: ${line.slice(0, 300)}`);
      }
    }
    assert.ok(lines > 200, `only ${lines} lines`);
    assert.ok(audits > 50, `only ${audits} audit records`);
  });
});
