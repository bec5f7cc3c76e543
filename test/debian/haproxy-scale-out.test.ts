import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { haproxyAvailable } from "../support/haproxy.js";
import { NO_ANSWER } from "../support/load-driver.js";
import { MIN_DRAIN_DELAY_MS, runScaleOut, type ScaleOutResult } from "../support/scale-out-scenario.js";

// Debian's haproxy and postgresql (.ci/run installs them); bin/presignd from
// dist/ (`npm run build`). The short variant of scripts/scale-out.ts.
const DRAIN_DELAY_MS = 2000;
const SHUTDOWN_TIMEOUT_MS = 5000;

describe("3 presignd instances behind HAProxy, one PostgreSQL handle store, one sealing key", () => {
  let result: ScaleOutResult;
  before(async () => {
    assert.ok(haproxyAvailable(), "/usr/sbin/haproxy missing: apt-get install haproxy");
    assert.ok(DRAIN_DELAY_MS > MIN_DRAIN_DELAY_MS, "the drain delay outlasts HAProxy's health checks");
    result = await runScaleOut({
      instances: 3,
      settleMs: 1500,
      concurrency: 8,
      ratePerSecond: 80,
      drainDelay: `${DRAIN_DELAY_MS}ms`,
      shutdownTimeout: `${SHUTDOWN_TIMEOUT_MS}ms`,
    });
  });

  it("a stored or sealed handle minted on one instance works on each other; a revocation on one is seen by another", () => {
    assert.equal(result.handleUses.length, 3 * 2 * 2);
    assert.deepEqual(
      result.handleUses.filter((u) => !u.ok),
      [],
    );
    assert.equal(result.revocationSeen, true);
  });

  it("(b) rolling restart under load: every call succeeds at its first attempt, every instance drains and exits 0", () => {
    const { counts, restarts } = result.rolling;
    assert.deepEqual(counts.failures, [], result.balancerLog);
    assert.equal(counts.failed, 0);
    assert.equal(counts.retried, 0, `first attempts lost on ${JSON.stringify(counts.lostOn)}`);
    assert.ok(counts.ok >= 20, `only ${counts.ok} calls`);
    assert.deepEqual(
      restarts.map((r) => [r.instance, r.exitCode]),
      [
        ["s1", 0],
        ["s2", 0],
        ["s3", 0],
      ],
    );
    for (const r of restarts) {
      assert.ok(r.exitMs >= DRAIN_DELAY_MS, `${r.instance} exited after ${r.exitMs} ms, before its drain delay`);
      assert.ok(r.exitMs < DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS, `${r.instance} took ${r.exitMs} ms`);
    }
    for (const name of ["s1", "s2", "s3"]) assert.ok((counts.servedBy[name] ?? 0) > 0, `${name} served nothing`);
  });

  it("(a) kill -9 under load: calls lost with the instance succeed on their one retry, nothing else is lost", () => {
    const { counts, instance } = result.kill;
    assert.deepEqual(counts.failures, [], result.balancerLog);
    assert.equal(counts.failed, 0);
    assert.equal(counts.retriedOk, counts.retried);
    for (const lostOn of Object.keys(counts.lostOn)) assert.ok([instance, NO_ANSWER].includes(lostOn), lostOn);
    assert.ok(counts.ok >= 20, `only ${counts.ok} calls`);
    assert.ok((counts.servedBy[instance] ?? 0) > 0, `${instance} served nothing before it was killed`);
  });
});
