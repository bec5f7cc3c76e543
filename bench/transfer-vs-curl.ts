// Transfer throughput: @presignd/client (in this process, as an app uses it)
// against curl (child processes) on the same machine, the same presigned
// requests from the same presignd, for a file → S3 upload and an S3 → file
// download, each single-stream (one PUT / one GET) and parallel (multipart /
// ranged GETs, the client's defaults against curl with the same parallelism:
// one curl per slot, each reusing its connection for its share of the parts
// or ranges). Two S3s: Ceph RGW (scripts/rgw-up.sh, memstore OSD, needs root
// and Debian's Ceph packages, which `npm run test:conformance` installs) and
// the embedded S3 of `presignd serve --dev` (s3rver, on disk). presignd runs
// as its own process (`presignd serve`), so the client's event loop is its own.
// In every round each client case runs right after its curl case, the order
// of the pairs rotating; each case reports its median round, so background
// load falls on both alike.
//
// curl gets its best case: its parts are pre-split files and its ranges land
// in one file each (curl cannot read or write at an offset), while the client
// reads parts from and writes ranges into the one file.
//
//   npm run bench:transfer-vs-curl   (or: node --import tsx bench/transfer-vs-curl.ts [rounds=5] [MiB=1024])
//   BENCH_TARGETS=rgw,dev (default) picks the S3s; BENCH_STDIN_GIB=5 also measures the peak RSS of
//   `presignd put` reading that many GiB from stdin (the embedded S3); profile the client with
//   node --cpu-prof --import tsx bench/transfer-vs-curl.ts (the process is idle but for the client's cases).
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash, randomFillSync } from "node:crypto";
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import { join } from "node:path";
import { DeleteObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { connectPresignd, type NodePresignClient } from "../src/cli/node-client.js";
import { DEFAULTS } from "../src/client/options.js";
import { ALLOW_ALL, KEYS, writePolicy } from "../test/support/policy.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const ROUNDS = Number(process.argv[2] ?? 5);
const SIZE_MIB = Number(process.argv[3] ?? 1024);
const TARGETS = (process.env.BENCH_TARGETS ?? "rgw,dev").split(",").filter(Boolean);
const STDIN_GIB = Number(process.env.BENCH_STDIN_GIB ?? 0);
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const SIZE = SIZE_MIB * MiB;
// memstore keeps objects in the OSD's RAM (about twice their size in RSS);
// every upload is deleted and garbage-collected after its case.
const MEMSTORE_BYTES = 8 * GiB;
const CONCURRENCY = { upload: DEFAULTS.uploadConcurrency, download: DEFAULTS.downloadConcurrency };

for (const bin of ["curl", "/usr/bin/time"]) {
  try {
    execFileSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" });
  } catch {
    throw new Error(`${bin} is missing (Debian: apt-get install curl time)`);
  }
}
if (TARGETS.includes("rgw") && process.getuid?.() !== 0) {
  throw new Error(
    "the throw-away Ceph cluster runs as root: sudo npm run bench:transfer-vs-curl (or BENCH_TARGETS=dev)",
  );
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const work = await mkdtemp(join(os.tmpdir(), "presignd-bench-vs-curl-"));
const children = new Set<ChildProcess>();
const teardown: (() => Promise<void> | void)[] = [];
const cleanup = async () => {
  for (const child of children) child.kill("SIGTERM");
  for (const step of teardown.reverse()) await step();
  rmSync(work, { recursive: true, force: true });
};
process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));

interface Measured {
  readonly seconds: number;
  /** CPU of whoever moved the bytes: curl's (user+sys, all its processes) or this process's (the client). */
  readonly cpuSeconds: number;
}

/** Runs a command (curl) under /usr/bin/time; resolves with its stdout and CPU. */
async function timed(argv: string[]): Promise<{ stdout: string; cpuSeconds: number }> {
  const timeFile = join(work, `time-${Math.random().toString(36).slice(2)}.txt`);
  const child = spawn("/usr/bin/time", ["-o", timeFile, "-f", "%U %S", ...argv], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  children.delete(child);
  if (code !== 0) throw new Error(`${argv.slice(0, 3).join(" ")} … exited ${code}: ${stderr.trim()}`);
  const [user, sys] = (await readFile(timeFile, "utf8")).trim().split("\n").at(-1)?.split(" ").map(Number) ?? [];
  rmSync(timeFile);
  return { stdout, cpuSeconds: (user ?? 0) + (sys ?? 0) };
}

/** The client's cases run in this process: its CPU is this process's. */
async function inProcess(run: () => Promise<unknown>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** Children of several curls, timed together from before the first RPC to the last byte. */
async function curlCase(run: () => Promise<number>): Promise<Measured> {
  const started = performance.now();
  const cpuSeconds = await run();
  return { seconds: (performance.now() - started) / 1000, cpuSeconds };
}

/** Headers exactly as presigned, minus those curl sets itself (Host; Content-Length from the file). */
const curlHeaders = (headers: Record<string, string>) =>
  Object.entries(headers)
    .filter(([name]) => !["host", "content-length"].includes(name.toLowerCase()))
    .flatMap(([name, value]) => ["-H", `${name}: ${value}`]);

/** Items dealt round-robin to `slots` workers, as a pool of equal parts would run them. */
const deal = <T>(items: T[], slots: number): T[][] =>
  Array.from({ length: Math.min(slots, items.length) }, (_, s) => items.filter((_, i) => i % slots === s));

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

/** A started S3 with presignd in front of it. */
interface Target {
  readonly name: string;
  readonly presignd: string;
  readonly s3: S3Client;
  readonly bucket: string;
  /** Frees what a deleted object still holds (RGW's garbage collection). */
  readonly collect: () => void;
}

/** `presignd serve` as a child process, ready once /healthz answers. */
async function startPresignd(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ["bin/presignd", "serve", "-a", `127.0.0.1:${port}`, "--log-level", "warn", "--drain-delay", "0s", ...args],
    { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "inherit"] },
  );
  children.add(child);
  teardown.push(async () => {
    child.kill("SIGTERM");
    await new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve(null)));
    children.delete(child);
  });
  const url = `http://127.0.0.1:${port}`;
  for (const until = Date.now() + 60_000; Date.now() < until; ) {
    if (child.exitCode !== null) throw new Error(`presignd serve exited ${child.exitCode}`);
    const ok = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return url;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error("presignd serve did not become healthy in 60 s");
}

async function startRgw(): Promise<Target> {
  const cluster = join(work, "rgw");
  teardown.push(() => {
    try {
      execFileSync("scripts/rgw-down.sh", [cluster, "--wipe"], { stdio: "ignore" });
    } catch {}
  });
  try {
    execFileSync("scripts/rgw-up.sh", [cluster], {
      env: {
        ...process.env,
        RGW_PORT: String(await freePort()),
        MON_PORT: String(await freePort()),
        MEMSTORE_BYTES: String(MEMSTORE_BYTES),
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
  } catch (error) {
    process.stderr.write(String((error as { stderr?: Buffer }).stderr ?? error));
    throw new Error("scripts/rgw-up.sh failed");
  }
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(cluster, "env"), "utf8").split("\n")) {
    const m = /^export (\w+)=(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) env[m[1]] = m[2];
  }
  const endpoint = env.RGW_ENDPOINT as string;
  const bucket = env.RGW_BUCKET as string;
  const presignd = await startPresignd(
    ["--policy", await writePolicy(ALLOW_ALL), "-b", bucket, "-r", "us-east-1", "--endpoint", endpoint, "--path-style"],
    env,
  );
  const ceph = ["-c", join(cluster, "ceph.conf"), "-k", join(cluster, "keyring")];
  const version = execFileSync("radosgw", ["--version"], { encoding: "utf8" }).trim().split(" ").slice(0, 3).join(" ");
  return {
    name: `Ceph RGW (${version}, memstore OSD)`,
    presignd,
    bucket,
    s3: new S3Client({
      endpoint,
      forcePathStyle: true,
      region: "us-east-1",
      credentials: {
        accessKeyId: env.AWS_ACCESS_KEY_ID as string,
        secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string,
      },
    }),
    collect: () => execFileSync("radosgw-admin", [...ceph, "gc", "process", "--include-all"], { stdio: "ignore" }),
  };
}

async function startDev(): Promise<Target> {
  const dataDir = join(work, "dev-s3");
  mkdirSync(dataDir);
  const s3Port = await freePort();
  const presignd = await startPresignd(
    ["--dev", "--dev-data-dir", dataDir, "--dev-s3-addr", `127.0.0.1:${s3Port}`, "--metrics-addr", ""],
    {},
  );
  return {
    name: "the embedded S3 (presignd serve --dev: s3rver, on disk)",
    presignd,
    bucket: "dev",
    s3: new S3Client({
      endpoint: `http://127.0.0.1:${s3Port}`,
      forcePathStyle: true,
      region: "us-east-1",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    }),
    collect: () => {},
  };
}

/** S3's multipart ETag: MD5 of the parts' MD5s, "-" part count. */
async function expectedEtags(path: string, partSize: number): Promise<{ whole: string; multipart: string }> {
  const whole = createHash("md5");
  const parts: Buffer[] = [];
  let part = createHash("md5");
  let inPart = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: MiB }) as AsyncIterable<Buffer>) {
    whole.update(chunk);
    for (let at = 0; at < chunk.length; ) {
      const take = Math.min(partSize - inPart, chunk.length - at);
      part.update(chunk.subarray(at, at + take));
      inPart += take;
      at += take;
      if (inPart === partSize) {
        parts.push(part.digest());
        part = createHash("md5");
        inPart = 0;
      }
    }
  }
  if (inPart > 0) parts.push(part.digest());
  return {
    whole: `"${whole.digest("hex")}"`,
    multipart: `"${createHash("md5").update(Buffer.concat(parts)).digest("hex")}-${parts.length}"`,
  };
}

type Direction = "upload" | "download";
type Mode = "single" | "parallel";
interface Case {
  readonly direction: Direction;
  readonly mode: Mode;
  readonly who: "curl" | "client";
  readonly label: string;
  run(key: string): Promise<Measured>;
}

async function benchTarget(target: Target, source: string, etags: Map<number, { whole: string; multipart: string }>) {
  const client: NodePresignClient = connectPresignd({ baseUrl: target.presignd, headers: { "x-api-key": KEYS.admin } });
  const { service } = client;
  const out = join(work, "out.bin");
  const DOWNLOAD_KEY = "bench/download-source";
  const partsDir = join(work, "parts");
  const rangesDir = join(work, "ranges");

  /** Splits the source into part files once per part size (curl cannot read a range of a file). */
  const splitFor = (partSize: number): string[] => {
    const dir = join(partsDir, String(partSize));
    const count = Math.ceil(SIZE / partSize);
    const files = Array.from({ length: count }, (_, i) => join(dir, String(i + 1)));
    if (existsSync(dir)) return files;
    mkdirSync(dir, { recursive: true });
    const fd = openSync(source, "r");
    const buffer = Buffer.allocUnsafe(partSize);
    for (let i = 0; i < count; i++) {
      const length = Math.min(partSize, SIZE - i * partSize);
      if (readSync(fd, buffer, 0, length, i * partSize) !== length) throw new Error("short read of the source");
      const outFd = openSync(files[i] as string, "w");
      writeSync(outFd, buffer, 0, length);
      closeSync(outFd);
    }
    closeSync(fd);
    return files;
  };

  const cases: Case[] = [
    {
      direction: "upload",
      mode: "single",
      who: "curl",
      label: "curl -T file, one presigned PUT",
      run: (key) =>
        curlCase(async () => {
          const p = await service.putObject({ key, contentLength: BigInt(SIZE) });
          return (await timed(["curl", "-sS", "-f", "-o", "/dev/null", "-T", source, ...curlHeaders(p.headers), p.url]))
            .cpuSeconds;
        }),
    },
    {
      direction: "upload",
      mode: "single",
      who: "client",
      label: "client.upload(path), one PUT (multipartThreshold above the size)",
      run: (key) => inProcess(() => client.upload(key, source, { multipartThreshold: SIZE + 1 })),
    },
    {
      direction: "upload",
      mode: "parallel",
      who: "curl",
      label: `${CONCURRENCY.upload} curls × their share of the parts (multipart via the RPCs)`,
      run: (key) =>
        curlCase(async () => {
          const created = await service.createMultipartUpload({ key, maxSize: BigInt(SIZE), partSize: 0n });
          const partSize = Number(created.partSize);
          const files = splitFor(partSize);
          const numbers = files.map((_, i) => i + 1);
          const { parts } = await service.presignUploadParts({
            uploadToken: created.uploadToken,
            parts: numbers.map((n) => ({
              partNumber: n,
              contentLength: BigInt(Math.min(partSize, SIZE - (n - 1) * partSize)),
            })),
          });
          const urls = new Map(parts.map((p) => [p.partNumber, p.request]));
          const etags = new Map<number, string>();
          const cpu = await Promise.all(
            deal(numbers, CONCURRENCY.upload).map(async (share) => {
              const argv = ["curl", "-sS", "-f", "-w", "%header{etag}\\n"];
              for (const n of share) {
                const request = urls.get(n);
                if (!request) throw new Error(`no URL for part ${n}`);
                argv.push(
                  "-T",
                  files[n - 1] as string,
                  "-o",
                  "/dev/null",
                  ...curlHeaders(request.headers),
                  request.url,
                );
              }
              const { stdout, cpuSeconds } = await timed(argv);
              for (const [i, etag] of stdout.trim().split("\n").entries()) etags.set(share[i] as number, etag.trim());
              return cpuSeconds;
            }),
          );
          const xml = `<CompleteMultipartUpload>${numbers.map((n) => `<Part><PartNumber>${n}</PartNumber><ETag>${etags.get(n)}</ETag></Part>`).join("")}</CompleteMultipartUpload>`;
          const done = await service.completeMultipartUpload({ uploadToken: created.uploadToken });
          const completed = await timed([
            "curl",
            "-sS",
            "-f",
            "-X",
            done.method,
            "-H",
            "content-type: application/xml",
            ...curlHeaders(done.headers),
            "--data-binary",
            xml,
            done.url,
          ]);
          if (!completed.stdout.includes("CompleteMultipartUploadResult")) {
            throw new Error(`CompleteMultipartUpload: ${completed.stdout.slice(0, 300)}`);
          }
          return cpu.reduce((a, b) => a + b, completed.cpuSeconds);
        }),
    },
    {
      direction: "upload",
      mode: "parallel",
      who: "client",
      label: `client.upload(path), multipart, defaults (${CONCURRENCY.upload} in flight, presignd's part size)`,
      run: (key) => inProcess(() => client.upload(key, source)),
    },
    {
      direction: "download",
      mode: "single",
      who: "curl",
      label: "curl -o file, one presigned GET",
      run: () =>
        curlCase(async () => {
          const p = await service.getObject({ key: DOWNLOAD_KEY });
          return (await timed(["curl", "-sS", "-f", "-o", out, ...curlHeaders(p.headers), p.url])).cpuSeconds;
        }),
    },
    {
      direction: "download",
      mode: "single",
      who: "client",
      label: "client.download(key, fs.createWriteStream(file)), one GET",
      run: () => inProcess(() => client.download(DOWNLOAD_KEY, createWriteStream(out))),
    },
    {
      direction: "download",
      mode: "parallel",
      who: "curl",
      label: `${CONCURRENCY.download} curls × their share of ${DEFAULTS.chunkSize / MiB} MiB ranges, a file per range`,
      run: () =>
        curlCase(async () => {
          const p = await service.getObject({ key: DOWNLOAD_KEY });
          mkdirSync(rangesDir, { recursive: true });
          const ranges = Array.from({ length: Math.ceil(SIZE / DEFAULTS.chunkSize) }, (_, i) => i);
          const cpu = await Promise.all(
            deal(ranges, CONCURRENCY.download).map(async (share) => {
              const argv = ["curl"];
              share.forEach((r, i) => {
                const start = r * DEFAULTS.chunkSize;
                const end = Math.min(start + DEFAULTS.chunkSize, SIZE) - 1;
                if (i > 0) argv.push("--next");
                argv.push("-sS", "-f", "-r", `${start}-${end}`, "-o", join(rangesDir, String(r)));
                argv.push(...curlHeaders(p.headers), p.url);
              });
              return (await timed(argv)).cpuSeconds;
            }),
          );
          return cpu.reduce((a, b) => a + b, 0);
        }),
    },
    {
      direction: "download",
      mode: "parallel",
      who: "client",
      label: `client.download(key, path), ranged, defaults (${CONCURRENCY.download} × ${DEFAULTS.chunkSize / MiB} MiB)`,
      run: () => inProcess(() => client.download(DOWNLOAD_KEY, out)),
    },
  ];

  /** Size and ETag of an object, from a one-byte ranged GET on a presigned URL. */
  const stored = async (key: string) => {
    const p = await service.getObject({ key });
    const r = await fetch(p.url, { headers: { ...p.headers, range: "bytes=0-0" } });
    await r.arrayBuffer();
    return { size: Number(/\/(\d+)$/.exec(r.headers.get("content-range") ?? "")?.[1]), etag: r.headers.get("etag") };
  };
  const remove = async (key: string) => {
    await target.s3.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: key }));
    target.collect();
  };
  const downloaded = async (c: Case, round: number) => {
    if (c.who === "curl" && c.mode === "parallel") {
      const files = Array.from({ length: Math.ceil(SIZE / DEFAULTS.chunkSize) }, (_, i) => join(rangesDir, String(i)));
      // Contents compared in the first round (cmp costs a few seconds).
      if (round === 0)
        execFileSync("bash", ["-c", `cat ${files.map((f) => `'${f}'`).join(" ")} | cmp -s - '${source}'`]);
      else if (files.reduce((sum, f) => sum + statSync(f).size, 0) !== SIZE)
        throw new Error(`${c.label}: the ranges do not add up to ${SIZE} bytes`);
      rmSync(rangesDir, { recursive: true, force: true });
      return;
    }
    if (round === 0) execFileSync("cmp", ["-s", source, out]);
    else if (statSync(out).size !== SIZE) {
      throw new Error(`${c.label}: the file is not ${SIZE} bytes`);
    }
    rmSync(out, { force: true });
  };

  {
    const p = await service.putObject({ key: DOWNLOAD_KEY, contentLength: BigInt(SIZE) });
    await timed(["curl", "-sS", "-f", "-o", "/dev/null", "-T", source, ...curlHeaders(p.headers), p.url]);
  }
  const partSize = Number(
    (await service.createMultipartUpload({ key: "bench/part-size", maxSize: BigInt(SIZE), partSize: 0n })).partSize,
  );
  if (!etags.has(partSize)) etags.set(partSize, await expectedEtags(source, partSize));
  const expected = etags.get(partSize) as { whole: string; multipart: string };
  splitFor(partSize);

  // Pairs (curl, then the client) in rotating order.
  const pairs: Case[][] = [];
  for (let i = 0; i < cases.length; i += 2) pairs.push(cases.slice(i, i + 2));
  const results = new Map<Case, Measured[]>(cases.map((c) => [c, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let p = 0; p < pairs.length; p++) {
      for (const c of pairs[(p + round) % pairs.length] as Case[]) {
        const key = `bench/${c.direction}-${c.mode}-${c.who}`;
        const m = await c.run(key);
        if (c.direction === "upload") {
          const got = await stored(key);
          // s3rver gives a multipart object the MD5 of its bytes, S3 and RGW the MD5 of the parts' MD5s.
          const want = c.mode === "single" ? [expected.whole] : [expected.multipart, expected.whole];
          if (got.size !== SIZE || !want.includes(got.etag ?? "")) {
            throw new Error(
              `${c.label}: S3 holds ${got.size} bytes, ETag ${got.etag}, not ${SIZE}, ${want.join(" or ")}`,
            );
          }
          await remove(key);
        } else {
          await downloaded(c, round);
        }
        results.get(c)?.push(m);
        process.stderr.write(
          `${target.name.split(" (")[0]} round ${round + 1} ${c.direction} ${c.mode} ${c.who}: ${m.seconds.toFixed(2)} s, ` +
            `${(SIZE / MiB / m.seconds).toFixed(0)} MiB/s, CPU ${m.cpuSeconds.toFixed(2)} s\n`,
        );
      }
    }
  }
  await remove(DOWNLOAD_KEY);

  console.log(`\n#### Against ${target.name}; ${SIZE_MIB} MiB object, ${ROUNDS} rounds, medians\n`);
  console.log("| transfer | who | how | median s | MiB/s | rounds MiB/s (min–max) | CPU s | client / curl |");
  console.log("|---|---|---|---:|---:|---:|---:|---:|");
  for (const c of cases) {
    const ms = results.get(c) ?? [];
    const secs = median(ms.map((m) => m.seconds));
    const rates = ms.map((m) => SIZE / MiB / m.seconds);
    const curl = cases.find((b) => b.who === "curl" && b.direction === c.direction && b.mode === c.mode) as Case;
    const ratio =
      c.who === "client" ? `**${(median((results.get(curl) ?? []).map((m) => m.seconds)) / secs).toFixed(2)}×**` : "";
    console.log(
      `| ${c.direction}, ${c.mode === "single" ? "single stream" : "parallel"} | ${c.who} | ${c.label} | ${secs.toFixed(2)} | ` +
        `${(SIZE / MiB / secs).toFixed(0)} | ${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)} | ` +
        `${median(ms.map((m) => m.cpuSeconds)).toFixed(2)} | ${ratio} |`,
    );
  }
}

/** Peak RSS of `presignd put` streaming STDIN_GIB GiB from stdin into the embedded S3 (multipart, bounded memory). */
async function stdinPeak(target: Target) {
  const cmd = ["bin/presignd", "put", "bench/stdin", "-s", target.presignd, "-q"].map((a) => `'${a}'`).join(" ");
  const timeFile = join(work, "stdin-time.txt");
  const started = performance.now();
  execFileSync("bash", [
    "-c",
    `set -o pipefail; head -c ${STDIN_GIB}G /dev/zero | /usr/bin/time -o '${timeFile}' -f '%M %U %S' '${process.execPath}' ${cmd}`,
  ]);
  const seconds = (performance.now() - started) / 1000;
  const [rss, user, sys] = (await readFile(timeFile, "utf8")).trim().split("\n").at(-1)?.split(" ").map(Number) ?? [];
  await target.s3.send(new DeleteObjectCommand({ Bucket: target.bucket, Key: "bench/stdin" }));
  console.log(
    `\n\`head -c ${STDIN_GIB}G /dev/zero | presignd put bench/stdin\` (multipart, 8 MiB parts, 4 in flight) into ${target.name}: ` +
      `${seconds.toFixed(1)} s, peak RSS (VmHWM) ${((rss ?? 0) / 1024).toFixed(0)} MiB, CPU ${((user ?? 0) + (sys ?? 0)).toFixed(1)} s`,
  );
}

try {
  const load = os.loadavg().map((l) => l.toFixed(1));
  console.log(
    `Transfer vs curl — ${os.cpus()[0]?.model ?? "cpu"} ×${os.cpus().length}, ${Math.round(os.totalmem() / GiB)} GiB, ` +
      `Node ${process.version}, ${execFileSync("curl", ["--version"], { encoding: "utf8" }).split(" ").slice(0, 2).join(" ")}, ` +
      `${new Date().toISOString().slice(0, 16)}Z, load average at start ${load.join(" ")}`,
  );
  // Random bytes (nobody compresses, but it keeps everyone honest).
  const source = join(work, "source.bin");
  {
    const fd = openSync(source, "w");
    const chunk = Buffer.allocUnsafe(8 * MiB);
    for (let written = 0; written < SIZE; written += chunk.length) {
      randomFillSync(chunk);
      writeSync(fd, chunk, 0, Math.min(chunk.length, SIZE - written));
    }
    closeSync(fd);
  }
  const etags = new Map<number, { whole: string; multipart: string }>();
  for (const name of TARGETS) {
    const started = teardown.length;
    const target = name === "rgw" ? await startRgw() : name === "dev" ? await startDev() : undefined;
    if (!target) throw new Error(`unknown target ${name}: use rgw or dev`);
    await benchTarget(target, source, etags);
    if (STDIN_GIB > 0 && name === "dev") await stdinPeak(target);
    for (const step of teardown.splice(started).reverse()) await step();
  }
} finally {
  await cleanup();
}
