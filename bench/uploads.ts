// Issue #13, the upload lifecycle: what the ledger costs and how fast the loop closes.
//   npm run bench:uploads   (or: node --import tsx bench/uploads.ts [seconds-per-round=4] [rounds=5] [uploads=30])
//
// 1. Ledger cost. With a handle store every PutObject writes one row into the
//    upload ledger (SqlUploadLedger.record). Three `presignd serve` processes
//    (production mode, API-key policy, info logs to a file, in front of the
//    embedded S3 started here): no handle store, SQLite (a file, WAL) and
//    PostgreSQL (test/support/postgres.ts: a throw-away local server, fsync off).
//    wrk drives Connect JSON PutObject (one fixed key, 1 KiB) and GetObject (the
//    control: no record) over HTTP/1.1, 32 connections. The six cases run in
//    alternating rounds, the order rotated per round; per round RPS, p50/p99 and
//    CPU µs per request of the presignd process and of the PostgreSQL server
//    (postmaster + backends), from /proc. Medians over rounds; ratios to "no
//    store" are taken within each round, then their median.
// 2. Landing latency. A fresh server with a SQLite store per --watch-poll-interval
//    (2s, the default, and 200ms) and one WatchUploads watcher: N uploads one at
//    a time (PutObject, then the PUT to S3 after a random pause of up to one
//    interval, so that landings fall anywhere in the poll cycle), timed from the
//    PUT's answer to the event reaching the watcher; then ConfirmUpload of that
//    key (one HEAD against the embedded S3).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ConfirmedAgainst, PresignService } from "../src/gen/presign/v1/presign_pb.js";
import { startDevS3 } from "../src/server/s3/dev-s3.js";
import { ALLOW_ALL, KEYS, writePolicy } from "../test/support/policy.js";
import { startPostgres } from "../test/support/postgres.js";
import { installDebianPackages } from "./debian-packages.js";
import { type LoadRequest, type LoadResult, wrk } from "./load-generators.js";
import { processCpuUs } from "./proc-cpu.js";
import {
  machine,
  median,
  presigndListening,
  REGION,
  readyz,
  type Server,
  serverEnv,
  startServer,
  stopServers,
} from "./server-process.js";

const SECONDS = Number(process.argv[2] ?? 4);
const ROUNDS = Number(process.argv[3] ?? 5);
const UPLOADS = Number(process.argv[4] ?? 30);
const CONNECTIONS = 32;
const BUCKET = "bench";
const BODY = randomBytes(1024);

installDebianPackages(["wrk"], "HTTP/1.1 load");
const work = await mkdtemp(join(os.tmpdir(), "presignd-bench-uploads-"));
const policyFile = await writePolicy(ALLOW_ALL);
const s3 = await startDevS3({ dataDir: join(work, "s3"), host: "127.0.0.1", port: 0, buckets: [BUCKET] });
const pg = await startPostgres();
const servers: Server[] = [];

async function presignd(name: string, args: string[]): Promise<Server> {
  const server = await startServer(
    process.execPath,
    ["bin/presignd", "serve", "-b", BUCKET, "-r", REGION, "--endpoint", s3.endpoint, "--path-style"].concat(
      ["--policy", policyFile, "-a", "127.0.0.1:0"],
      args,
    ),
    serverEnv({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" }),
    join(work, `${name}.log`),
    presigndListening,
  );
  servers.push(server);
  await readyz(server);
  return server;
}

/** CPU so far of the PostgreSQL server listening on `port`: its postmaster and every process it started. */
function postgresCpuUs(port: string): number {
  const rows = execFileSync("ps", ["-eo", "pid=,ppid=,args="], { encoding: "utf8" })
    .trim()
    .split("\n")
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line)?.slice(1) ?? []);
  const postmaster = rows.find(([, , args]) => args?.includes(`-p ${port} `))?.[0];
  const pids = rows.filter(([pid, ppid]) => pid === postmaster || ppid === postmaster).map(([pid]) => Number(pid));
  return pids.reduce((sum, pid) => sum + processCpuUs(pid), 0);
}

/** Nearest-rank quantile. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}

const apiKey: Interceptor = (next) => (req) => {
  req.header.set("x-api-key", KEYS.admin);
  return next(req);
};
const clientOf = (server: Server) =>
  createClient(
    PresignService,
    createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [apiKey] }),
  );

type Latency = NonNullable<LoadResult["latencyMs"]>;
interface Round extends Latency {
  readonly rps: number;
  readonly cpuUs: number;
  readonly pgCpuUs: number;
}

try {
  // 1. Ledger cost.
  const pgPort = new URL(pg.url).port;
  const stores = [
    { store: "none", server: await presignd("none", []) },
    { store: "SQLite", server: await presignd("sqlite", ["--handle-store", `sqlite:${join(work, "ledger.db")}`]) },
    { store: "PostgreSQL", server: await presignd("postgres", ["--handle-store", await pg.createDatabase("ledger")]) },
  ];
  const rpc = (server: Server, method: string, body: object): LoadRequest => ({
    url: `${server.url}/presign.v1.PresignService/${method}`,
    method: "POST",
    headers: { "x-api-key": KEYS.admin, "content-type": "application/json", "connect-protocol-version": "1" },
    body: new TextEncoder().encode(JSON.stringify(body)),
  });
  const key = "bench/ledger.bin";
  const cases = stores.flatMap(({ store, server }) =>
    [
      {
        method: "PutObject",
        body: { key, contentLength: String(BODY.length), contentType: "application/octet-stream" },
      },
      { method: "GetObject", body: { key } },
    ].map(({ method, body }) => ({ store, method, server, request: rpc(server, method, body), rounds: [] as Round[] })),
  );
  for (const c of cases) {
    const res = await fetch(c.request.url, {
      method: "POST",
      headers: c.request.headers,
      body: new TextDecoder().decode(c.request.body),
    });
    if (!res.ok) throw new Error(`${c.method} on ${c.store}: ${res.status} ${await res.text()}`);
  }
  const options = (seconds: number) => ({ connections: CONNECTIONS, seconds, workDir: work });
  console.error(`warming up ${cases.length} cases …`);
  for (const c of cases) await wrk(c.request, options(1));
  for (let round = 0; round < ROUNDS; round++) {
    console.error(`round ${round + 1}/${ROUNDS} …`);
    for (const c of [...cases.slice(round % cases.length), ...cases.slice(0, round % cases.length)]) {
      const cpu0 = processCpuUs(c.server.pid);
      const pg0 = postgresCpuUs(pgPort);
      const r = await wrk(c.request, options(SECONDS));
      if (r.failures) throw new Error(`${c.method} on ${c.store}: ${r.failures}`);
      const cpuUs = (processCpuUs(c.server.pid) - cpu0) / r.requests;
      const pgCpuUs = (postgresCpuUs(pgPort) - pg0) / r.requests;
      c.rounds.push({ rps: r.requests / r.seconds, ...(r.latencyMs as Latency), cpuUs, pgCpuUs });
    }
  }
  await stopServers(servers.splice(0).map((s) => s.child));

  // 2. Landing latency.
  const landing: { interval: string; seen: number[]; confirm: number[] }[] = [];
  for (const interval of ["2s", "200ms"]) {
    const intervalMs = interval === "2s" ? 2000 : 200;
    const store = `sqlite:${join(work, `watch-${interval}.db`)}`;
    const client = clientOf(
      await presignd(`watch-${interval}`, ["--handle-store", store, "--watch-poll-interval", interval]),
    );
    const waiting = new Map<string, (at: number) => void>();
    const abort = new AbortController();
    const watching = (async () => {
      for await (const event of client.watchUploads({ prefix: "landing/" }, { signal: abort.signal }))
        waiting.get(event.object?.key ?? "")?.(performance.now());
    })().catch((error: unknown) => {
      if (!abort.signal.aborted) throw error;
    });
    const result = { interval, seen: [] as number[], confirm: [] as number[] };
    console.error(`landing, --watch-poll-interval ${interval}: ${UPLOADS} uploads …`);
    for (let i = 0; i <= UPLOADS; i++) {
      const key = `landing/${interval}/${i}.bin`;
      const signed = await client.putObject({
        key,
        contentLength: BigInt(BODY.length),
        contentType: "application/octet-stream",
      });
      const seen = new Promise<number>((resolve, reject) => {
        waiting.set(key, resolve);
        setTimeout(() => reject(new Error(`no WatchUploads event for ${key} in 30 s`)), 30_000).unref();
      });
      await sleep(Math.random() * intervalMs);
      const res = await fetch(signed.url, { method: signed.method, headers: signed.headers, body: BODY });
      if (!res.ok) throw new Error(`PUT ${key}: ${res.status} ${await res.text()}`);
      const landed = performance.now();
      const seenAt = await seen;
      const start = performance.now();
      const confirmed = await client.confirmUpload({ key });
      const confirmMs = performance.now() - start;
      if (confirmed.against !== ConfirmedAgainst.SIGNED || confirmed.object?.size !== BigInt(BODY.length))
        throw new Error(`ConfirmUpload ${key}: ${JSON.stringify(confirmed.against)}, size ${confirmed.object?.size}`);
      // Upload 0 only makes sure the watch is in place before anything is timed.
      if (i > 0) {
        result.seen.push(seenAt - landed);
        result.confirm.push(confirmMs);
      }
    }
    abort.abort();
    await watching;
    landing.push(result);
    await stopServers(servers.splice(0).map((s) => s.child));
  }

  console.log(
    `Machine: ${machine.cpus} × ${machine.model}, ${machine.memGiB} GiB, Node ${machine.node}; ${machine.date}; load average ${machine.load} at start, ${os.loadavg()[0]?.toFixed(2)} at end`,
  );
  console.log(
    `Ledger cost: wrk, HTTP/1.1 Connect JSON, ${CONNECTIONS} connections; ${ROUNDS} rotated rounds × ${SECONDS} s per case. Medians over rounds; ratios per round, then their median.\n`,
  );
  console.log(
    "| store | RPC | RPS | p50 ms | p99 ms | presignd CPU µs/req | PostgreSQL CPU µs/req | RPS vs no store | presignd CPU vs no store |",
  );
  console.log("|---|---|---:|---:|---:|---:|---:|---:|---:|");
  const fmt = (n: number, digits = 0) =>
    n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
  for (const c of cases) {
    const base = cases.find((b) => b.store === "none" && b.method === c.method) as (typeof cases)[number];
    const ratio = (f: (r: Round) => number) => median(c.rounds.map((r, i) => f(r) / f(base.rounds[i] as Round)));
    const col = (field: keyof Round, digits = 0) => fmt(median(c.rounds.map((r) => r[field])), digits);
    const cells = [c.store, c.method, col("rps"), col("p50", 2), col("p99", 2), col("cpuUs")];
    cells.push(c.store === "PostgreSQL" ? col("pgCpuUs") : "");
    cells.push(`${ratio((r) => r.rps).toFixed(2)}×`, `${ratio((r) => r.cpuUs).toFixed(2)}×`);
    console.log(`| ${cells.join(" | ")} |`);
  }
  console.log(`\nLanding latency: ${UPLOADS} uploads of ${BODY.length} B one at a time, SQLite store, one watcher.\n`);
  console.log(
    "| --watch-poll-interval | PUT answered → event at watcher, median | p90 | max | ConfirmUpload, median | p90 |",
  );
  console.log("|---|---:|---:|---:|---:|---:|");
  for (const l of landing)
    console.log(
      `| ${l.interval} | ${fmt(median(l.seen))} ms | ${fmt(quantile(l.seen, 0.9))} ms | ${fmt(Math.max(...l.seen))} ms | ${fmt(median(l.confirm), 1)} ms | ${fmt(quantile(l.confirm, 0.9), 1)} ms |`,
    );
} finally {
  await stopServers(servers.map((s) => s.child));
  await Promise.all([s3.close(), pg.close()]);
  await rm(work, { recursive: true, force: true });
}
