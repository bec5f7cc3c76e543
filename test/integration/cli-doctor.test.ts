import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ALLOW_ALL, writePolicy } from "../support/policy.js";
import { PRESIGND, run } from "../support/run.js";

// What presignd doctor refuses before it talks to any store (RGW: test/conformance/rgw-doctor.test.ts).
const ENV = { PRESIGND_CONFIG: "", AWS_ACCESS_KEY_ID: "doctor-test", AWS_SECRET_ACCESS_KEY: "doctor-test-secret" };

describe("presignd doctor refuses", () => {
  it("what serve would refuse, naming the setting", async () => {
    const res = await run(PRESIGND, ["doctor", "--bucket", "bkt", "--default-ttl", "soon"], {
      env: { PRESIGND_CONFIG: "" },
    });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /--default-ttl \(PRESIGND_DEFAULT_TTL\)/);
  });

  it("--dev: the embedded S3 is presignd's own", async () => {
    const res = await run(PRESIGND, ["doctor", "--dev"], { env: ENV });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^presignd: doctor checks a real store: --dev's embedded S3/m);
  });

  it("-y/--yes without --fix-cors, and --fix-cors without --cors-origin", async () => {
    const policy = await writePolicy(ALLOW_ALL);
    const base = [
      "doctor",
      "--policy",
      policy,
      "--bucket",
      "bkt",
      "--endpoint",
      "http://127.0.0.1:9",
      "--region",
      "us-east-1",
    ];
    const yes = await run(PRESIGND, [...base, "--yes"], { env: ENV });
    assert.equal(yes.code, 1);
    assert.match(yes.stderr, /-y\/--yes confirms --fix-cors: pass --fix-cors too/);
    const fix = await run(PRESIGND, [...base, "--fix-cors", "--yes"], { env: ENV });
    assert.equal(fix.code, 1);
    assert.match(fix.stderr, /--fix-cors writes the bucket CORS the --cors-origin pages need: set --cors-origin/);
  });

  it("an unreachable store is a report, not a crash: exit 1", async () => {
    const policy = await writePolicy(ALLOW_ALL);
    const res = await run(
      PRESIGND,
      [
        ...[
          "doctor",
          "--policy",
          policy,
          "--bucket",
          "bkt",
          "--endpoint",
          "http://127.0.0.1:9",
          "--region",
          "us-east-1",
        ],
        "--json",
      ],
      { env: ENV },
    );
    assert.equal(res.code, 1, res.stderr);
    const { results } = JSON.parse(res.stdout.toString()) as { results: { check: string; status: string }[] };
    assert.deepEqual(
      results.filter((r) => r.status === "fail").map((r) => r.check),
      ["bucket"],
    );
    // Nothing answered: no region to compare.
    assert.equal(results.filter((r) => r.check === "region").length, 0);
  });
});
