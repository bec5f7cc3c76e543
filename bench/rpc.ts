// RPC throughput per protocol: presign RPC (GetObject) vs a near-empty RPC
// (grpc.health.v1.Health/Check, answered from a cached state) on the same
// server, h2c, 64 calls in flight. Reports RPS, p50/p99 latency and the
// server process's CPU per request (from /proc, so the server runs unmodified
// in its own process). On 2 shared cores the client's CPU caps RPS; server
// CPU per request is the capacity figure.
//   npm run bench:rpc            (or: node --import tsx bench/rpc.ts [seconds-per-case])
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Health } from "../src/gen/grpc/health/v1/health_pb.js";
import { PresignService } from "../src/gen/presign/v1/presign_pb.js";

const SECONDS = Number(process.argv[2] ?? 5);
const IN_FLIGHT = 64;
const TICK_US = 1_000_000 / 100; // CLK_TCK = 100 on Linux

const dataDir = mkdtempSync(join(os.tmpdir(), "presignd-bench-"));
const server = spawn(
  process.execPath,
  [
    // BENCH_CPU_PROF=DIR: profile the server (--cpu-prof) to see where its time goes.
    ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_CPU_PROF] : []),
    "bin/presignd",
    "serve",
    "--dev",
    "--dev-data-dir",
    dataDir,
  ],
  {
    env: {
      ...process.env,
      PRESIGND_ADDR: "127.0.0.1:0",
      PRESIGND_DEV_S3_ADDR: "127.0.0.1:0",
      PRESIGND_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "inherit"],
  },
);
const baseUrl = await new Promise<string>((resolve, reject) => {
  createInterface({ input: server.stdout }).on("line", (line) => {
    const entry = JSON.parse(line) as { msg?: string; url?: string };
    if (entry.msg?.startsWith("presignd listening")) resolve(entry.url as string);
  });
  server.once("exit", (code) => reject(new Error(`server exited (${code})`)));
});

function serverCpuUs(): number {
  const stat = readFileSync(`/proc/${server.pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_US; // utime + stime
}

const transports: [string, () => Transport][] = [
  ["Connect binary", () => createConnectTransport({ baseUrl, httpVersion: "2" })],
  ["Connect JSON", () => createConnectTransport({ baseUrl, httpVersion: "2", useBinaryFormat: false })],
  ["gRPC", () => createGrpcTransport({ baseUrl })],
  ["gRPC-Web", () => createGrpcWebTransport({ baseUrl, httpVersion: "2" })],
];

interface Result {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
}

async function run(call: () => Promise<unknown>): Promise<Result> {
  const warmEnd = performance.now() + 1000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < warmEnd) await call();
    }),
  );
  const latencies: number[] = [];
  const cpu0 = serverCpuUs();
  const start = performance.now();
  const end = start + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await call();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpu = serverCpuUs() - cpu0;
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), cpuUs: cpu / latencies.length };
}

console.log(
  `RPC benchmark — ${os.cpus()[0]?.model ?? "cpu"} ×${os.cpus().length}, Node ${process.version}, h2c, ${IN_FLIGHT} in flight, ${SECONDS}s per case`,
);
console.log("| protocol | RPC | RPS | p50 ms | p99 ms | server CPU µs/req | presign RPS / empty RPS |");
console.log("|---|---|---:|---:|---:|---:|---:|");
try {
  for (const [name, make] of transports) {
    const transport = make();
    const presign = createClient(PresignService, transport);
    const health = createClient(Health, transport);
    const empty = await run(() => health.check({}));
    const signed = await run(() => presign.getObject({ key: "photos/2026/11/holiday picture.jpg" }));
    const row = (rpc: string, r: Result, ratio: string) =>
      console.log(
        `| ${name} | ${rpc} | ${Math.round(r.rps)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${Math.round(r.cpuUs)} | ${ratio} |`,
      );
    row("Health/Check (empty)", empty, "");
    row("GetObject (presign)", signed, `${((100 * signed.rps) / empty.rps).toFixed(0)} %`);
  }
} finally {
  const exited = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGTERM");
  await exited;
  rmSync(dataDir, { recursive: true, force: true });
}
