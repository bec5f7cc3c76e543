// presignd side by side with its peer, the aws-sdk-go `example/service/s3/presignURL`
// server (issue #12), both as separate processes on loopback, driven by wrk
// (HTTP/1.1) and h2load (h2c) with 32 connections, one request in flight each.
//   npm run bench:vs-go   (or: node --import tsx bench/vs-go.ts [seconds-per-round=4] [rounds=5])
// BENCH_GATE=1 makes a missed goal exit non-zero.
//
// The Go server is built unchanged from Debian's golang-github-aws-aws-sdk-go-dev
// (installed with apt-get when missing, as root) and signs with static env
// credentials; it makes no S3 call when given -r. presignd runs in production
// mode: `presignd serve` with a policy file holding one API key, an S3 endpoint
// on loopback (the embedded dev S3, started here, so that readiness holds),
// default info logging with audit records. Both servers' stdout and stderr go to
// a file each: writing the logs is part of the cost measured.
//
// Cases run in alternating rounds, the order rotated each round, so that load
// from other processes on a shared machine falls on every case alike. Per case
// and round: RPS (the generator's completed requests ÷ its measured time) and
// server CPU µs/request (utime+stime of the server process from /proc over
// the window ÷ requests). Medians and ranges over rounds; ratios are taken
// within each round, then their median and range reported.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import { dirname, join } from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { GetObjectRequestSchema } from "../src/gen/presign/v1/presign_pb.js";
import { startDevS3 } from "../src/server/s3/dev-s3.js";
import { buildGoExample } from "../test/support/go-example.js";
import { ALLOW_ALL, KEYS, writePolicy } from "../test/support/policy.js";
import { hasCommand, installDebianPackages } from "./debian-packages.js";
import { h2load, type LoadGenerator, type LoadRequest, wrk } from "./load-generators.js";
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
const WARM_UP_SECONDS = 1;
const CONNECTIONS = 32;
const BUCKET = "bench";
const KEY = "some/key";
const REST_PATH = `/presign/${KEY}?method=GET`;
const GET_OBJECT_PATH = "/presign.v1.PresignService/GetObject";

/** The goals of issue #12, checked on this run's medians. */
const GOALS = {
  rpsVsGo: 1.0,
  cpuUsPerPresign: 150,
  presignVsHealthz: 0.8,
  grpcVsGrpcJs: 1.0,
};

const work = await mkdtemp(join(os.tmpdir(), "presignd-vs-go-"));
const children: ChildProcess[] = [];
let completed = false;
/** Directories the helpers create (the Go binary's, the policy file's), removed at the end. */
const temporaries: string[] = [];

/** The first line a tool prints about its version, or that it is missing. */
function toolVersion(command: string, args: string[]): string {
  const out = spawnSync(command, args, { encoding: "utf8" });
  if (out.error) return `${command} missing`;
  return (
    `${out.stdout}${out.stderr}`
      .split("\n")[0]
      ?.replace(/ Copyright.*/, "")
      .trim() ?? command
  );
}

interface Case {
  readonly name: string;
  readonly http: "HTTP/1.1" | "h2c";
  readonly server: Server;
  readonly request: LoadRequest;
  readonly generator: LoadGenerator;
  /** The /healthz case of the same protocol, for presign cases. */
  readonly healthz?: Case;
  readonly isGo?: boolean;
  readonly rounds: { rps: number; cpuUs: number; logBytes: number }[];
}

try {
  installDebianPackages(["golang-go", "golang-github-aws-aws-sdk-go-dev"], "the aws-sdk-go example server");
  installDebianPackages(["wrk"], "HTTP/1.1 load");
  let h2cNote: string | undefined;
  try {
    installDebianPackages(["nghttp2-client"], "h2c load (h2load)");
    if (!hasCommand("h2load")) h2cNote = "h2load is not on PATH";
  } catch (error) {
    h2cNote = (error as Error).message;
  }

  const goBinary = await buildGoExample("server");
  temporaries.push(dirname(goBinary));
  const policyFile = await writePolicy(ALLOW_ALL);
  temporaries.push(dirname(policyFile));
  const s3 = await startDevS3({ dataDir: join(work, "s3"), host: "127.0.0.1", port: 0, buckets: [BUCKET] });
  try {
    const go = await startServer(
      goBinary,
      ["-b", BUCKET, "-r", REGION, "-a", "127.0.0.1:0"],
      serverEnv(),
      join(work, "go.log"),
      (line) => /^Starting Server On: (http:\/\/\S+)$/.exec(line)?.[1],
    );
    children.push(go.child);
    const presignd = await startServer(
      process.execPath,
      [
        "bin/presignd",
        "serve",
        "-b",
        BUCKET,
        "-r",
        REGION,
        "--endpoint",
        s3.endpoint,
        "--path-style",
        "--policy",
        policyFile,
        "-a",
        "127.0.0.1:0",
      ],
      serverEnv({ AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" }),
      join(work, "presignd.log"),
      presigndListening,
    );
    children.push(presignd.child);
    await readyz(presignd);

    const apiKey = { "x-api-key": KEYS.admin };
    const connect = (contentType: string) => ({
      ...apiKey,
      "content-type": contentType,
      "connect-protocol-version": "1",
    });
    const requests = {
      goRest: { url: `${go.url}${REST_PATH}`, method: "GET", headers: {} },
      rest: { url: `${presignd.url}${REST_PATH}`, method: "GET", headers: apiKey },
      json: {
        url: `${presignd.url}${GET_OBJECT_PATH}`,
        method: "POST",
        headers: connect("application/json"),
        body: new TextEncoder().encode(JSON.stringify({ key: KEY })),
      },
      binary: {
        url: `${presignd.url}${GET_OBJECT_PATH}`,
        method: "POST",
        headers: connect("application/proto"),
        body: toBinary(GetObjectRequestSchema, create(GetObjectRequestSchema, { key: KEY })),
      },
      healthz: { url: `${presignd.url}/healthz`, method: "GET", headers: {} },
    } satisfies Record<string, LoadRequest>;

    // Each request once, to see that it is answered as meant before loading it.
    for (const [name, r] of Object.entries(requests)) {
      const res = await fetch(r.url, {
        method: r.method,
        headers: r.headers,
        ...("body" in r ? { body: r.body } : {}),
      });
      const text = await res.text();
      const signed = name === "healthz" ? text.includes('"ok"') : text.includes("X-Amz-Signature=");
      if (res.status !== 200 || !signed)
        throw new Error(`${name}: ${r.method} ${r.url} answered ${res.status} ${text}`);
    }

    const cases: Case[] = [];
    const add = (c: Omit<Case, "rounds">): Case => {
      const withRounds = { ...c, rounds: [] };
      cases.push(withRounds);
      return withRounds;
    };
    const h1 = { http: "HTTP/1.1", generator: wrk } as const;
    const h2 = { http: "h2c", generator: h2load } as const;
    const h1Healthz = add({ name: "presignd `GET /healthz`", server: presignd, request: requests.healthz, ...h1 });
    const goRest = add({
      name: "Go example server `GET /presign/some/key?method=GET`",
      server: go,
      request: requests.goRest,
      isGo: true,
      ...h1,
    });
    const presignCase = (name: string, request: LoadRequest, http: typeof h1 | typeof h2, healthz: Case) =>
      add({ name, server: presignd, request, healthz, ...http });
    presignCase("presignd REST, same path, x-api-key", requests.rest, h1, h1Healthz);
    presignCase("presignd Connect JSON `GetObject`", requests.json, h1, h1Healthz);
    presignCase("presignd Connect binary `GetObject`", requests.binary, h1, h1Healthz);
    if (!h2cNote) {
      const h2Healthz = add({ name: "presignd `GET /healthz`", server: presignd, request: requests.healthz, ...h2 });
      presignCase("presignd REST, same path, x-api-key", requests.rest, h2, h2Healthz);
      presignCase("presignd Connect JSON `GetObject`", requests.json, h2, h2Healthz);
      presignCase("presignd Connect binary `GetObject`", requests.binary, h2, h2Healthz);
    }

    const options = (seconds: number) => ({ connections: CONNECTIONS, seconds, workDir: work });
    console.error(`warming up ${cases.length} cases (${WARM_UP_SECONDS} s each) …`);
    for (const c of cases) await c.generator(c.request, options(WARM_UP_SECONDS));
    for (let round = 0; round < ROUNDS; round++) {
      console.error(`round ${round + 1}/${ROUNDS} …`);
      const order = [...cases.slice(round % cases.length), ...cases.slice(0, round % cases.length)];
      for (const c of order) {
        const cpu0 = processCpuUs(c.server.pid);
        const log0 = statSync(c.server.logFile).size;
        const result = await c.generator(c.request, options(SECONDS));
        const cpu = processCpuUs(c.server.pid) - cpu0;
        const logBytes = statSync(c.server.logFile).size - log0;
        if (result.failures) throw new Error(`${c.name} (${c.http}): ${result.failures}`);
        c.rounds.push({
          rps: result.requests / result.seconds,
          cpuUs: cpu / result.requests,
          logBytes: logBytes / result.requests,
        });
      }
    }
    await readyz(presignd);
    // Ready now, and never NOT_SERVING in between (HealthState logs every change).
    if (spawnSync("grep", ["-q", '"health":"NOT_SERVING"', presignd.logFile]).status === 0) {
      throw new Error(`presignd was not ready during the run; its log: ${presignd.logFile}`);
    }
    const grpc = await grpcVsGrpcJs();
    report(cases, goRest, grpc, h2cNote);
    completed = true;
  } finally {
    await stopServers(children);
    await s3.close();
  }
} finally {
  // The servers' logs, Lua scripts and bodies stay for a look when something went wrong.
  await Promise.all(temporaries.map((dir) => rm(dir, { recursive: true, force: true })));
  if (completed) await rm(work, { recursive: true, force: true });
  else console.error(`bench:vs-go did not complete; its files: ${work}`);
}

interface GrpcComparison {
  /** bench/rpc.ts's table (header and the rows of the two gRPC servers). */
  readonly rows: string[];
  /** presignd ÷ grpc-js server CPU per GetObject. */
  readonly ratio: number;
}

/** bench/rpc.ts, its gRPC rows only: presignd's gRPC against @grpc/grpc-js running the same handler. */
async function grpcVsGrpcJs(): Promise<GrpcComparison> {
  console.error("gRPC vs grpc-js (bench/rpc.ts) …");
  const child = spawn(process.execPath, ["--import", "tsx", "bench/rpc.ts"], {
    env: { ...process.env, BENCH_CASES: "gRPC,gRPC → grpc-js server" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  const code = await new Promise((resolve) => child.once("exit", resolve));
  const ratio = /GetObject ([\d.]+)×/.exec(out)?.[1];
  if (code !== 0 || !ratio) throw new Error(`bench/rpc.ts failed (${code}):\n${out}`);
  return { rows: out.split("\n").filter((line) => line.startsWith("|")), ratio: Number(ratio) };
}

/** "median (min–max)" of values, each formatted by `format`. */
function spread(values: readonly number[], format: (n: number) => string): string {
  return `${format(median(values))} (${format(Math.min(...values))}–${format(Math.max(...values))})`;
}

function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
function times(n: number): string {
  return `${n.toFixed(2)}×`;
}
function percent(n: number): string {
  return `${Math.round(100 * n)} %`;
}

/** Per-round ratios of a's RPS to b's (the same round, so the same background load). */
function rpsRatios(a: Case, b: Case): number[] {
  return a.rounds.map((r, i) => r.rps / (b.rounds[i]?.rps ?? Number.NaN));
}

function report(cases: readonly Case[], go: Case, grpc: GrpcComparison, h2cNote: string | undefined): void {
  console.log(
    `Machine: ${machine.cpus} × ${machine.model}, ${machine.memGiB} GiB, Node ${machine.node}; ${[toolVersion("go", ["version"]), toolVersion("wrk", ["-v"]), toolVersion("h2load", ["--version"])].join(", ")}; ${machine.date}; load average ${machine.load} at start, ${os.loadavg()[0]?.toFixed(2)} at end`,
  );
  console.log(
    `Load: ${CONNECTIONS} connections, 1 request in flight each, 1 generator thread; ${ROUNDS} alternating rounds × ${SECONDS} s per case (order rotated per round) after ${WARM_UP_SECONDS} s of warm-up each; fixed key ${JSON.stringify(KEY)}.`,
  );
  console.log("");
  console.log(
    "| server, request | HTTP | RPS, median (range) | server CPU µs/request | log bytes/request | RPS vs Go | RPS vs /healthz |",
  );
  console.log("|---|---|---:|---:|---:|---:|---:|");
  for (const c of cases) {
    const cells = [
      c.name,
      c.http,
      spread(
        c.rounds.map((r) => r.rps),
        count,
      ),
      spread(
        c.rounds.map((r) => r.cpuUs),
        count,
      ),
      count(median(c.rounds.map((r) => r.logBytes))),
      c.isGo ? "1.00×" : spread(rpsRatios(c, go), times),
      c.healthz ? spread(rpsRatios(c, c.healthz), percent) : "",
    ];
    console.log(`| ${cells.join(" | ")} |`);
  }
  console.log("");
  console.log("gRPC, h2c, 64 in flight (bench/rpc.ts, presignd `serve --dev` vs @grpc/grpc-js with the same handler):");
  for (const row of grpc.rows) console.log(row);

  const presigns = cases.filter((c) => c.healthz);
  const label = (c: Case) => `${c.name.replace(/^presignd /, "")} (${c.http})`;
  const lines: { goal: string; value: string; met: boolean | undefined }[] = [];
  for (const c of presigns) {
    const ratio = median(rpsRatios(c, go));
    lines.push({
      goal: `RPS ≥ ${GOALS.rpsVsGo.toFixed(1)}× the Go example server`,
      value: `${label(c)} ${times(ratio)}`,
      met: ratio >= GOALS.rpsVsGo,
    });
  }
  for (const c of presigns) {
    const cpu = median(c.rounds.map((r) => r.cpuUs));
    lines.push({
      goal: `server CPU per presign ≤ ${GOALS.cpuUsPerPresign} µs`,
      value: `${label(c)} ${count(cpu)} µs`,
      met: cpu <= GOALS.cpuUsPerPresign,
    });
  }
  for (const c of presigns) {
    const ratio = median(rpsRatios(c, c.healthz as Case));
    lines.push({
      goal: `a presign ≥ ${percent(GOALS.presignVsHealthz)} of /healthz RPS`,
      value: `${label(c)} ${percent(ratio)}`,
      met: ratio >= GOALS.presignVsHealthz,
    });
  }
  if (h2cNote) {
    for (const name of ["REST", "Connect JSON", "Connect binary"]) {
      lines.push({ goal: "h2c", value: `${name} (h2c) not measured: ${h2cNote}`, met: undefined });
    }
  }
  lines.push({
    goal: `gRPC server CPU per GetObject ≤ ${times(GOALS.grpcVsGrpcJs)} a grpc-js server running the same handler`,
    value: `${times(grpc.ratio)}`,
    met: grpc.ratio <= GOALS.grpcVsGrpcJs,
  });
  console.log("");
  console.log("Goals (issue #12), on this run's medians:");
  for (const l of lines)
    console.log(`- ${l.goal}: ${l.value} — ${l.met === undefined ? "not measured" : l.met ? "met" : "missed"}`);
  const missed = lines.filter((l) => l.met !== true).length;
  console.log(`${lines.length - missed} of ${lines.length} met.`);
  if (missed > 0 && process.env.BENCH_GATE === "1") process.exitCode = 1;
}
