import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { it } from "node:test";
import { ROOT, run } from "../support/run.js";

it("test helpers remove their temporary policy and PKI directories when the process exits", async () => {
  const script = `
    import { writePolicy, ALLOW_ALL } from "./test/support/policy.ts";
    import { makePki } from "./test/support/certs.ts";
    const policy = await writePolicy(ALLOW_ALL);
    const pki = makePki();
    console.log(JSON.stringify([policy, pki.dir]));`;
  const res = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script]);
  assert.equal(res.code, 0, res.stderr);
  const [policy, pki] = JSON.parse(res.stdout.toString()) as [string, string];
  assert.ok(policy.startsWith("/") && pki.startsWith("/") && !policy.startsWith(ROOT));
  assert.equal(existsSync(dirname(policy)), false, `${dirname(policy)} left behind`);
  assert.equal(existsSync(pki), false, `${pki} left behind`);
});
