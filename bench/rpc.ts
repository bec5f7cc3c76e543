// RPC throughput per protocol: presign RPC (GetObject) vs a near-empty RPC
// (grpc.health.v1.Health/Check, answered from a cached state) on the same
// server, h2c, 64 calls in flight. Reports RPS, p50/p99 latency and the
// server process's CPU per request (from /proc, so the server runs unmodified
// in its own process). On 2 shared cores the client's CPU caps RPS; server
// CPU per request is the capacity figure.
//   npm run bench:rpc            (or: node --import tsx bench/rpc.ts [seconds-per-case])
// The same client and calls also go to @grpc/grpc-js running presignd's handler
// (bench/grpc-js-server.ts), and the gRPC server CPU ratio is printed.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { createClient, type Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { Health } from "../src/gen/grpc/health/v1/health_pb.js";
import { PresignService } from "../src/gen/presign/v1/presign_pb.js";
import { processCpuUs } from "./proc-cpu.js";

const SECONDS = Number(process.argv[2] ?? 5);
const IN_FLIGHT = 64;

interface Server {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts a server process and waits for its "listening" log line; its later log lines are drained unread. */
async function startServer(args: string[], marker: string): Promise<Server> {
  const dataDir = mkdtempSync(join(os.tmpdir(), "presignd-bench-"));
  const child = spawn(
    process.execPath,
    [
      // BENCH_CPU_PROF=DIR: profile the servers (--cpu-prof) to see where their time goes.
      ...(process.env.BENCH_CPU_PROF ? ["--cpu-prof", "--cpu-prof-dir", process.env.BENCH_CPU_PROF] : []),
      ...args,
      dataDir,
    ],
    {
      env: {
        ...process.env,
        PRESIGND_ADDR: "127.0.0.1:0",
        PRESIGND_DEV_S3_ADDR: "127.0.0.1:0",
        PRESIGND_LOG_LEVEL: "info",
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      },
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    let text = "";
    const onData = (chunk: Buffer) => {
      text += chunk.toString("utf8");
      for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n")) {
        const entry = JSON.parse(text.slice(0, end)) as { msg?: string; url?: string };
        text = text.slice(end + 1);
        if (entry.msg?.startsWith(marker)) {
          // From here on one line per RPC: read and dropped, not parsed (the client's CPU is the bottleneck).
          child.stdout.off("data", onData);
          child.stdout.on("data", () => {});
          resolve(entry.url as string);
          return;
        }
      }
    };
    child.stdout.on("data", onData);
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited (${code})`)));
  });
  return {
    url,
    pid: child.pid as number,
    stop: async () => {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

// BENCH_PRESIGND=PATH: another build's bin/presignd (e.g. one of the previous commit, for a before/after comparison).
const presignd = await startServer(
  [process.env.BENCH_PRESIGND ?? "bin/presignd", "serve", "--dev", "--dev-data-dir"],
  "presignd listening",
);
const grpcJs = await startServer(["--import", "tsx", "bench/grpc-js-server.ts"], "grpc-js comparison server listening");

// Rows measured together (interleaved in rounds, so that load from other
// processes on this shared machine drifts into all of them alike).
const groups: [string, Server, () => Transport][][] = [
  [["Connect binary", presignd, () => createConnectTransport({ baseUrl: presignd.url, httpVersion: "2" })]],
  [
    [
      "Connect JSON",
      presignd,
      () => createConnectTransport({ baseUrl: presignd.url, httpVersion: "2", useBinaryFormat: false }),
    ],
  ],
  [
    ["gRPC", presignd, () => createGrpcTransport({ baseUrl: presignd.url })],
    // The same client and calls against @grpc/grpc-js running presignd's handler (bench/grpc-js-server.ts).
    ["gRPC → grpc-js server", grpcJs, () => createGrpcTransport({ baseUrl: grpcJs.url })],
  ],
  [["gRPC-Web", presignd, () => createGrpcWebTransport({ baseUrl: presignd.url, httpVersion: "2" })]],
];
const ROUNDS = 5;

interface Result {
  rps: number;
  p50: number;
  p99: number;
  cpuUs: number;
}

interface Measurement {
  readonly server: Server;
  readonly call: () => Promise<unknown>;
  readonly latencies: number[];
  seconds: number;
  cpuUs: number;
}

async function load(call: () => Promise<unknown>, ms: number, latencies?: number[]): Promise<void> {
  const end = performance.now() + ms;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        await call();
        latencies?.push(performance.now() - t);
      }
    }),
  );
}

/** Warms each up for 1 s, then measures them in turn, ROUNDS times SECONDS/ROUNDS each. */
async function measure(measurements: Measurement[]): Promise<Result[]> {
  for (const m of measurements) await load(m.call, 1000);
  for (let round = 0; round < ROUNDS; round++) {
    for (const m of measurements) {
      const cpu0 = processCpuUs(m.server.pid);
      const start = performance.now();
      await load(m.call, (SECONDS * 1000) / ROUNDS, m.latencies);
      m.seconds += (performance.now() - start) / 1000;
      m.cpuUs += processCpuUs(m.server.pid) - cpu0;
    }
  }
  return measurements.map(({ latencies, seconds, cpuUs }) => {
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
    return { rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99), cpuUs: cpuUs / latencies.length };
  });
}

console.log(
  `RPC benchmark — ${os.cpus()[0]?.model ?? "cpu"} ×${os.cpus().length}, Node ${process.version}, h2c, ${IN_FLIGHT} in flight, ${SECONDS}s per case (${ROUNDS} interleaved rounds)`,
);
console.log("| protocol | RPC | RPS | p50 ms | p99 ms | server CPU µs/req | presign RPS / empty RPS |");
console.log("|---|---|---:|---:|---:|---:|---:|");
// BENCH_CASES="gRPC,gRPC → grpc-js server": only these rows (e.g. to profile one protocol).
const only = process.env.BENCH_CASES?.split(",");
const results = new Map<string, { empty: Result; signed: Result }>();
try {
  for (const group of groups) {
    const rows = group.filter(([name]) => !only || only.includes(name));
    if (rows.length === 0) continue;
    const measurements = rows.flatMap(([, server, make]) => {
      const transport = make();
      const presign = createClient(PresignService, transport);
      const health = createClient(Health, transport);
      const m = (call: () => Promise<unknown>): Measurement => ({ server, call, latencies: [], seconds: 0, cpuUs: 0 });
      return [m(() => health.check({})), m(() => presign.getObject({ key: "photos/2026/11/holiday picture.jpg" }))];
    });
    const measured = await measure(measurements);
    rows.forEach(([name], i) => {
      const empty = measured[2 * i] as Result;
      const signed = measured[2 * i + 1] as Result;
      results.set(name, { empty, signed });
      const row = (rpc: string, r: Result, ratio: string) =>
        console.log(
          `| ${name} | ${rpc} | ${Math.round(r.rps)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${Math.round(r.cpuUs)} | ${ratio} |`,
        );
      row("Health/Check (empty)", empty, "");
      row("GetObject (presign)", signed, `${((100 * signed.rps) / empty.rps).toFixed(0)} %`);
    });
  }
  const ours = results.get("gRPC");
  const theirs = results.get("gRPC → grpc-js server");
  if (ours && theirs) {
    const ratio = (a: Result, b: Result) => (a.cpuUs / b.cpuUs).toFixed(2);
    console.log(
      `\ngRPC server CPU/req, presignd ÷ grpc-js (same handler): GetObject ${ratio(ours.signed, theirs.signed)}×, Health/Check ${ratio(ours.empty, theirs.empty)}× (target: GetObject ≤ 1.5×)`,
    );
  }
} finally {
  await Promise.all([presignd.stop(), grpcJs.stop()]);
}
