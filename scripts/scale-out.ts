// Scale-out, tested for real (issue #16, part 5): 3 presignd instances behind
// Debian's HAProxy (h2c for gRPC, HTTP/1.1 for Connect and REST) sharing one
// PostgreSQL handle store and one sealing key, under bounded load while
// (a) one instance is killed with kill -9 and (b) a rolling restart drains
// each in turn. Prints the counts the client saw; exits 1 when a goal is missed.
//
//   npm run build && node --import tsx scripts/scale-out.ts [--settle 10s] [--rate 150] [--concurrency 16]
//
// test/debian/scale-out.test.ts runs the same scenario in seconds.
import { parseArgs } from "node:util";
import { parseDelayMs } from "../src/core/duration.js";
import { type LoadCounts, NO_ANSWER } from "../test/support/load-driver.js";
import { runScaleOut, type ScaleOutResult } from "../test/support/scale-out-scenario.js";

const { values } = parseArgs({
  options: {
    settle: { type: "string", default: "10s" },
    rate: { type: "string", default: "150" },
    concurrency: { type: "string", default: "16" },
    instances: { type: "string", default: "3" },
    "drain-delay": { type: "string", default: "2s" },
  },
});

const result = await runScaleOut({
  instances: Number(values.instances),
  settleMs: parseDelayMs(values.settle),
  ratePerSecond: Number(values.rate),
  concurrency: Number(values.concurrency),
  drainDelay: values["drain-delay"],
  shutdownTimeout: "30s",
  log: (line) => console.log(line),
});

const row = (name: string, c: LoadCounts) =>
  `| ${name} | ${c.calls} | ${c.ok} | ${c.retried} | ${c.retriedOk} | ${c.failed} | ${entries(c.lostOn)} | ${entries(c.servedBy)} |`;
const entries = (table: Record<string, number>) =>
  Object.entries(table)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(", ") || "—";

console.log(`
| phase | calls | ok | retried once | retry ok | client-visible errors | first attempt lost on | served by |
|---|---:|---:|---:|---:|---:|---|---|
${row(`(a) kill -9 ${result.kill.instance}`, result.kill.counts)}
${row("(b) rolling restart", result.rolling.counts)}

(a) HAProxy marked ${result.kill.instance} DOWN ${result.kill.detectedMs} ms after the kill.
(b) exits: ${result.rolling.restarts.map((r) => `${r.instance} code ${r.exitCode} after ${r.exitMs} ms`).join("; ")}.
Handles minted on one instance, used on another: ${result.handleUses.filter((u) => u.ok).length}/${result.handleUses.length} OK; revocation seen across instances: ${result.revocationSeen}.
Total ${Math.round(result.durationMs / 1000)} s.`);
for (const f of [...result.kill.counts.failures, ...result.rolling.counts.failures]) console.log(`failure: ${f}`);

const missed = goalsMissed(result);
for (const goal of missed) console.log(`MISSED: ${goal}`);
process.exit(missed.length > 0 ? 1 : 0);

function goalsMissed(r: ScaleOutResult): string[] {
  const missed: string[] = [];
  if (r.rolling.counts.failed > 0 || r.rolling.counts.retried > 0) {
    missed.push("(b) zero errors during the rolling restart, not even retried ones");
  }
  if (r.kill.counts.failed > 0) missed.push("(a) every call lost on the killed instance succeeds on its one retry");
  if (Object.keys(r.kill.counts.lostOn).some((name) => name !== r.kill.instance && name !== NO_ANSWER)) {
    missed.push("(a) nothing lost but on the killed instance");
  }
  if (r.handleUses.some((u) => !u.ok) || !r.revocationSeen) missed.push("handles work across instances");
  if (r.rolling.restarts.some((x) => x.exitCode !== 0)) missed.push("(b) every drained instance exits 0");
  return missed;
}
