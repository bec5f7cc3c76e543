// Soak: `presignd serve --dev` (its own process, info logging to /dev/null,
// the default in-memory handle store) under a fixed rate of mixed presign RPCs
// from the typed client, over Connect (HTTP/1.1) and gRPC (h2c) alternately:
// GetObject, PutObject, PostPolicy, CreateHandle + GetObject by handle,
// BatchGetObject of 10, CreateMultipartUpload + PresignUploadParts (4 parts).
// Every 10 s: the server's RSS (/proc VmRSS) and, through a preloaded probe
// (bench/soak-probe.mjs), its heap before and after a forced GC. Reports RPS,
// errors, the series, and the slope of RSS over the last 2/3 of the run.
//   npm run bench:soak   (or: node --import tsx bench/soak.ts [minutes=10] [rpc-per-second=200])
//   PRESIGND_HANDLE_STORE= npm run bench:soak   (no handle store: sealed handles, no server state)
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import os from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connectPresignd } from "../src/cli/node-client.js";
import { HandleKind, Operation } from "../src/gen/presign/v1/presign_pb.js";

const MINUTES = Number(process.argv[2] ?? 10);
const RATE = Number(process.argv[3] ?? 200);
const SAMPLE_MS = 10_000;
const MAX_IN_FLIGHT = 256;
const MiB = 1024 * 1024;

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const { port } = s.address() as { port: number };
    s.close(() => resolve(port));
  });
});
const dataDir = mkdtempSync(join(os.tmpdir(), "presignd-soak-"));
const server: ChildProcess = spawn(
  process.execPath,
  ["--expose-gc", "--import", "./bench/soak-probe.mjs", "bin/presignd", "serve", "--dev", "--dev-data-dir", dataDir],
  {
    env: {
      ...process.env,
      PRESIGND_ADDR: `127.0.0.1:${port}`,
      PRESIGND_DEV_S3_ADDR: "127.0.0.1:0",
      PRESIGND_LOG_LEVEL: "info",
    },
    stdio: ["ignore", openSync("/dev/null", "w"), "inherit", "ipc"],
  },
);
const baseUrl = `http://127.0.0.1:${port}`;

interface Usage {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}
const probe = (gc: boolean) =>
  new Promise<Usage>((resolve, reject) => {
    const onMessage = (m: { probe?: string; usage?: Usage }) => {
      if (m.probe !== "memory" || !m.usage) return;
      server.off("message", onMessage);
      resolve(m.usage);
    };
    server.on("message", onMessage);
    server.send({ probe: "memory", gc }, (error) => error && reject(error));
  });
const rssOf = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kib("VmRSS") * 1024, hwm: kib("VmHWM") * 1024 };
};

const clients = [
  connectPresignd({ baseUrl, transport: "connect" }).service,
  connectPresignd({ baseUrl, transport: "grpc" }).service,
];
// Wait for the server.
for (let i = 0; ; i++) {
  try {
    await clients[0]?.getObject({ key: "ready" });
    break;
  } catch (error) {
    if (i > 100) throw error;
    await sleep(100);
  }
}

type Service = (typeof clients)[number];
// Each entry: RPCs it makes, and the calls.
const mix: [string, number, (s: Service, n: number) => Promise<unknown>][] = [
  ["GetObject", 1, (s, n) => s.getObject({ key: `soak/get/${n % 1000}.jpg` })],
  ["PutObject", 1, (s, n) => s.putObject({ key: `soak/put/${n}.bin`, contentLength: 1024n })],
  ["PostPolicy", 1, (s, n) => s.postPolicy({ key: `soak/post/${n}.bin`, maxContentLength: 1048576n })],
  [
    "CreateHandle+GetObject(handle)",
    2,
    async (s, n) => {
      const { handle } = await s.createHandle({
        key: `soak/handle/${n}.bin`,
        operations: [Operation.GET],
        kind: HandleKind.UNSPECIFIED,
      });
      return s.getObject({ handle });
    },
  ],
  [
    "BatchGetObject×10",
    1,
    (s, n) => s.batchGetObject({ requests: Array.from({ length: 10 }, (_, i) => ({ key: `soak/batch/${n}/${i}` })) }),
  ],
  [
    "CreateMultipartUpload+PresignUploadParts(4)",
    2,
    async (s, n) => {
      const up = await s.createMultipartUpload({ key: `soak/mp/${n}.bin`, maxSize: 64n * BigInt(MiB) });
      return s.presignUploadParts({
        uploadToken: up.uploadToken,
        parts: [1, 2, 3, 4].map((partNumber) => ({ partNumber, contentLength: up.partSize })),
      });
    },
  ],
];
const rpcsPerCycle = mix.reduce((sum, [, rpcs]) => sum + rpcs, 0);

let done = 0;
let errors = 0;
let skipped = 0;
let inFlight = 0;
const firstErrors: string[] = [];
let n = 0;
const issue = () => {
  const [, rpcs, call] = mix[n % mix.length] as (typeof mix)[number];
  const service = clients[Math.floor(n / mix.length) % clients.length] as Service;
  const id = n++;
  if (inFlight >= MAX_IN_FLIGHT) {
    skipped += rpcs;
    return rpcs;
  }
  inFlight++;
  call(service, id)
    .then(
      () => {
        done += rpcs;
      },
      (error: unknown) => {
        errors++;
        if (firstErrors.length < 5) firstErrors.push(String((error as Error).message ?? error));
      },
    )
    .finally(() => {
      inFlight--;
    });
  return rpcs;
};

interface Sample {
  t: number;
  rss: number;
  hwm: number;
  heapUsed: number;
  heapAfterGc: number;
  rssAfterGc: number;
  arrayBuffers: number;
  done: number;
}
const samples: Sample[] = [];
const started = performance.now();
const end = started + MINUTES * 60_000;
let issued = 0;
let nextSample = started + SAMPLE_MS;
const sampleNow = async () => {
  const pid = server.pid as number;
  const { rss, hwm } = rssOf(pid);
  const before = await probe(false);
  const after = await probe(true);
  const s: Sample = {
    t: (performance.now() - started) / 1000,
    rss,
    hwm,
    heapUsed: before.heapUsed,
    heapAfterGc: after.heapUsed,
    rssAfterGc: rssOf(pid).rss,
    arrayBuffers: after.arrayBuffers,
    done,
  };
  samples.push(s);
  process.stderr.write(
    `${s.t.toFixed(0).padStart(4)} s  RSS ${(rss / MiB).toFixed(1)} MiB  heap ${(before.heapUsed / MiB).toFixed(1)} → ${(after.heapUsed / MiB).toFixed(1)} MiB after GC  ` +
      `${done} RPCs, ${errors} errors, ${skipped} skipped, ${inFlight} in flight\n`,
  );
};
console.log(
  `Soak — ${os.cpus()[0]?.model ?? "cpu"} ×${os.cpus().length}, Node ${process.version}, ${new Date().toISOString()}; ` +
    `${MINUTES} min at ${RATE} RPC/s target (${rpcsPerCycle} RPCs per cycle of ${mix.map(([name]) => name).join(", ")}), ` +
    `Connect HTTP/1.1 and gRPC h2c alternating; presignd serve --dev, info logging to /dev/null, ` +
    (process.env.PRESIGND_HANDLE_STORE === undefined
      ? "memory handle store (CreateHandle mints stored handles, kept a day past expiry)"
      : process.env.PRESIGND_HANDLE_STORE === ""
        ? "no handle store (CreateHandle mints sealed handles: no server state)"
        : `handle store ${process.env.PRESIGND_HANDLE_STORE}`),
);
await sampleNow(); // t≈0 baseline
try {
  while (performance.now() < end) {
    const now = performance.now();
    // Issue what the fixed rate says is due by now (open loop: slow answers do not slow the rate).
    const due = ((now - started) / 1000) * RATE;
    while (issued < due) issued += issue();
    if (now >= nextSample) {
      nextSample += SAMPLE_MS;
      await sampleNow();
    }
    await sleep(5);
  }
  while (inFlight > 0) await sleep(10);
  await sampleNow();
} finally {
  const exited = new Promise((resolve) => server.once("exit", resolve));
  server.kill("SIGTERM");
  await exited;
  rmSync(dataDir, { recursive: true, force: true });
}

const elapsed = (samples.at(-1)?.t ?? 1) - (samples[0]?.t ?? 0);
const slope = (points: [number, number][]) => {
  const mx = points.reduce((a, [x]) => a + x, 0) / points.length;
  const my = points.reduce((a, [, y]) => a + y, 0) / points.length;
  const num = points.reduce((a, [x, y]) => a + (x - mx) * (y - my), 0);
  const den = points.reduce((a, [x]) => a + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
};
const tail = samples.slice(Math.floor(samples.length / 3));
const perMinute = (pick: (s: Sample) => number) => slope(tail.map((s) => [s.t / 60, pick(s) / MiB]));
const rssSlope = perMinute((s) => s.rss);
const heapSlope = perMinute((s) => s.heapAfterGc);
console.log(
  `\nachieved ${(done / elapsed).toFixed(1)} RPC/s (${done} RPCs in ${elapsed.toFixed(0)} s), errors ${errors}` +
    `${firstErrors.length ? ` (first: ${firstErrors.join(" | ")})` : ""}, skipped at the ${MAX_IN_FLIGHT}-in-flight cap ${skipped}`,
);
console.log("\n| t s | RSS MiB | RSS after GC MiB | heap used MiB | heap after GC MiB | arrayBuffers MiB | RPCs |");
console.log("|---:|---:|---:|---:|---:|---:|---:|");
for (const s of samples) {
  console.log(
    `| ${s.t.toFixed(0)} | ${(s.rss / MiB).toFixed(1)} | ${(s.rssAfterGc / MiB).toFixed(1)} | ${(s.heapUsed / MiB).toFixed(1)} | ` +
      `${(s.heapAfterGc / MiB).toFixed(1)} | ${(s.arrayBuffers / MiB).toFixed(1)} | ${s.done} |`,
  );
}
const verdict = Math.abs(rssSlope) < 0.5 ? "no growth trend" : rssSlope > 0 ? "RSS GROWS" : "RSS shrinks";
console.log(
  `\nRSS slope over the last 2/3 (${tail.length} samples): ${rssSlope.toFixed(3)} MiB/min; heap after GC: ` +
    `${heapSlope.toFixed(3)} MiB/min; peak RSS (VmHWM) ${((samples.at(-1)?.hwm ?? 0) / MiB).toFixed(1)} MiB → ${verdict} ` +
    "(threshold ±0.5 MiB/min)",
);
if (errors > 0) process.exitCode = 1;
