// Transfer throughput: presignd's client (the CLI, one child process per
// transfer) against curl on the same presigned URLs, with Ceph RGW as the S3
// (scripts/rgw-up.sh: one mon, one memstore OSD, radosgw on 127.0.0.1), and
// the client's peak RSS (/usr/bin/time's maximum resident set size, i.e. the
// process's VmHWM). Cases take turns in rounds (the order rotates each round)
// and each reports its median round, so background load falls on all alike.
// Then the peak RSS of `presignd put` reading a 5 GiB stream from stdin.
// Needs root (the cluster's daemons), Debian's Ceph packages (npm run
// test:conformance installs them), curl and /usr/bin/time (Debian: time).
//   npm run bench:transfer   (or: node --import tsx bench/transfer.ts [rounds=3] [MiB=1024])
//   BENCH_STDIN_GIB=0 skips the stdin case; BENCH_CPU_PROF=DIR profiles the client processes.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomFillSync } from "node:crypto";
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { mkdtemp, readFile } from "node:fs/promises";
import { createServer } from "node:net";
import os from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { DeleteObjectCommand, HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { connectPresignd } from "../src/cli/node-client.js";
import { KEYS } from "../test/support/policy.js";
import { presigndForRgw, rgwFromEnv } from "../test/support/rgw.js";

const ROUNDS = Number(process.argv[2] ?? 3);
const SIZE_MIB = Number(process.argv[3] ?? 1024);
const SIZE = SIZE_MIB * 1024 * 1024;
const STDIN_GIB = Number(process.env.BENCH_STDIN_GIB ?? 5);
const PROF = process.env.BENCH_CPU_PROF;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
// memstore keeps objects in the OSD's RAM (about twice their size in RSS, as
// seen here); objects are deleted and garbage-collected after every case.
const MEMSTORE_BYTES = 12 * GiB;

if (process.getuid?.() !== 0) throw new Error("the throw-away Ceph cluster runs as root: sudo npm run bench:transfer");
for (const bin of ["/usr/bin/time", "curl", "radosgw"]) {
  try {
    execFileSync("sh", ["-c", `command -v ${bin}`], { stdio: "ignore" });
  } catch {
    throw new Error(`${bin} is missing (Debian: apt-get install time curl; npm run test:conformance installs Ceph)`);
  }
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const work = await mkdtemp(join(os.tmpdir(), "presignd-bench-transfer-"));
const cluster = join(work, "rgw");
const children = new Set<ChildProcess>();
let stopServer: (() => Promise<void>) | undefined;
const cleanup = async () => {
  for (const child of children) child.kill("SIGTERM");
  await stopServer?.();
  try {
    execFileSync("scripts/rgw-down.sh", [cluster, "--wipe"], { stdio: "ignore" });
  } catch {}
  rmSync(work, { recursive: true, force: true });
};
process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));

try {
  const up = Date.now();
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
  for (const line of readFileSync(join(cluster, "env"), "utf8").split("\n")) {
    const m = /^export (\w+)=(.*)$/.exec(line);
    if (m?.[1] && m[2] !== undefined) process.env[m[1]] = m[2];
  }
  const ceph = ["-c", join(cluster, "ceph.conf"), "-k", join(cluster, "keyring")];
  const osd = JSON.parse(
    execFileSync("ceph", [...ceph, "osd", "metadata", "0", "--format", "json"], { encoding: "utf8" }),
  );
  const objectstore = String(osd.osd_objectstore);
  const rgwVersion = execFileSync("radosgw", ["--version"], { encoding: "utf8" })
    .trim()
    .split(" ")
    .slice(0, 3)
    .join(" ");
  const rgw = rgwFromEnv();
  const { server } = await presigndForRgw(rgw);
  stopServer = () => server.close();
  const s3 = new S3Client({ endpoint: rgw.endpoint, forcePathStyle: true, region: "us-east-1" });
  const { service } = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.admin } });
  const gc = () => execFileSync("radosgw-admin", [...ceph, "gc", "process", "--include-all"], { stdio: "ignore" });
  const remove = async (key: string) => {
    await s3.send(new DeleteObjectCommand({ Bucket: rgw.bucket, Key: key }));
    gc();
  };
  const sizeAtS3 = async (key: string) =>
    Number((await s3.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: key }))).ContentLength);

  console.log(
    `Transfer benchmark — ${os.cpus()[0]?.model ?? "cpu"} ×${os.cpus().length}, ${Math.round(os.totalmem() / GiB)} GiB, ` +
      `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; ${rgwVersion}, OSD objectstore: ${objectstore}; ` +
      `cluster up in ${((Date.now() - up) / 1000).toFixed(1)} s; ${SIZE_MIB} MiB object, ${ROUNDS} rounds`,
  );

  // A file of random bytes (RGW does not compress, but random data keeps everyone honest).
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
  const out = join(work, "out.bin");
  const DOWNLOAD_KEY = "bench/download-source";
  const curlHeaders = (headers: Record<string, string>) =>
    Object.entries(headers)
      .filter(([name]) => !["host", "content-length"].includes(name.toLowerCase()))
      .flatMap(([name, value]) => ["-H", `${name}: ${value}`]);

  interface Measured {
    seconds: number;
    maxRssKiB: number;
    cpuSeconds: number;
  }
  /** Runs a command under /usr/bin/time; stdout to a file if asked. */
  const measure = async (argv: string[], stdoutPath?: string, shell = false): Promise<Measured> => {
    const timeFile = join(work, "time.txt");
    const timed = ["/usr/bin/time", "-o", timeFile, "-f", "%M %U %S", ...argv];
    const fd = stdoutPath ? openSync(stdoutPath, "w") : "ignore";
    const started = performance.now();
    const child = shell
      ? spawn("bash", ["-c", `set -o pipefail; ${argv[0]}`], { stdio: ["ignore", fd, "pipe"] })
      : spawn(timed[0] as string, timed.slice(1), { stdio: ["ignore", fd, "pipe"] });
    children.add(child);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    const seconds = (performance.now() - started) / 1000;
    children.delete(child);
    if (typeof fd === "number") closeSync(fd);
    if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}: ${stderr.trim()}`);
    const [rss, user, sys] = (await readFile(timeFile, "utf8")).trim().split("\n").at(-1)?.split(" ").map(Number) ?? [];
    return { seconds, maxRssKiB: rss ?? 0, cpuSeconds: (user ?? 0) + (sys ?? 0) };
  };
  const presignd = (...args: string[]) => [
    process.execPath,
    ...(PROF ? ["--cpu-prof", "--cpu-prof-dir", PROF] : []),
    "bin/presignd",
    ...args,
    "-s",
    server.url,
    "--api-key",
    KEYS.admin,
    "-q",
  ];

  type Direction = "upload" | "download";
  interface Case {
    name: string;
    direction: Direction;
    baseline?: boolean;
    run(key: string): Promise<Measured>;
  }
  const cases: Case[] = [
    {
      name: "curl -T, presigned PUT (single stream)",
      direction: "upload",
      baseline: true,
      async run(key) {
        const p = await service.putObject({ key, contentLength: BigInt(SIZE) });
        return measure(["curl", "-sS", "-f", "-o", "/dev/null", "-T", source, ...curlHeaders(p.headers), p.url]);
      },
    },
    {
      name: "presignd put, single PUT (threshold 2 GiB)",
      direction: "upload",
      run: (key) => measure(presignd("put", key, "-f", source, "--multipart-threshold", "2GiB")),
    },
    {
      name: "presignd put, multipart, default parts, -c 4",
      direction: "upload",
      run: (key) => measure(presignd("put", key, "-f", source, "-c", "4")),
    },
    {
      name: "presignd put, multipart, default parts, -c 8",
      direction: "upload",
      run: (key) => measure(presignd("put", key, "-f", source, "-c", "8")),
    },
    {
      name: "curl -o, presigned GET (single stream)",
      direction: "download",
      baseline: true,
      async run() {
        const p = await service.getObject({ key: DOWNLOAD_KEY });
        return measure(["curl", "-sS", "-f", "-o", out, ...curlHeaders(p.headers), p.url]);
      },
    },
    {
      name: "presignd get > file (sequential, stream)",
      direction: "download",
      run: () => measure(presignd("get", DOWNLOAD_KEY), out),
    },
    {
      name: "presignd get -f file (ranged, -c 4, 16 MiB)",
      direction: "download",
      run: () => measure(presignd("get", DOWNLOAD_KEY, "-f", out, "-c", "4")),
    },
  ];

  // The object the downloads read, put once with curl.
  {
    const p = await service.putObject({ key: DOWNLOAD_KEY, contentLength: BigInt(SIZE) });
    await measure(["curl", "-sS", "-f", "-o", "/dev/null", "-T", source, ...curlHeaders(p.headers), p.url]);
  }
  const startup: number[] = [];
  const results = new Map<string, Measured[]>(cases.map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    startup.push((await measure([process.execPath, "bin/presignd", "--version"])).seconds);
    const order = cases.map((_, i) => cases[(i + round) % cases.length] as Case);
    for (const c of order) {
      const key = `bench/${round}/${c.name.replace(/[^a-z0-9]+/gi, "-")}`;
      const m = await c.run(key);
      if (c.direction === "upload") {
        const stored = await sizeAtS3(key);
        if (stored !== SIZE) throw new Error(`${c.name}: S3 holds ${stored} bytes, not ${SIZE}`);
        await remove(key);
      } else {
        const got = statSync(out).size;
        if (got !== SIZE) throw new Error(`${c.name}: downloaded ${got} bytes, not ${SIZE}`);
        // Contents compared in the first round (cmp costs a few seconds).
        if (round === 0) execFileSync("cmp", ["-s", source, out]);
        rmSync(out, { force: true });
      }
      results.get(c.name)?.push(m);
      process.stderr.write(
        `round ${round + 1} ${c.name}: ${m.seconds.toFixed(2)} s, ${(SIZE / MiB / m.seconds).toFixed(1)} MiB/s, ` +
          `peak RSS ${(m.maxRssKiB / 1024).toFixed(0)} MiB, CPU ${m.cpuSeconds.toFixed(2)} s\n`,
      );
    }
  }

  const median = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(s.length / 2);
    return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
  };
  console.log(`\npresignd CLI start-up alone (\`presignd --version\`): median ${median(startup).toFixed(2)} s`);
  console.log(
    "\n| case | median s | MiB/s | vs curl single-stream | rounds MiB/s (min–max) | peak RSS MiB | CPU s (user+sys) |",
  );
  console.log("|---|---:|---:|---:|---:|---:|---:|");
  for (const c of cases) {
    const ms = results.get(c.name) ?? [];
    const secs = median(ms.map((m) => m.seconds));
    const base = cases.find((b) => b.baseline && b.direction === c.direction) as Case;
    const baseSecs = median((results.get(base.name) ?? []).map((m) => m.seconds));
    const rates = ms.map((m) => SIZE / MiB / m.seconds);
    console.log(
      `| ${c.name} | ${secs.toFixed(2)} | ${(SIZE / MiB / secs).toFixed(1)} | ${(baseSecs / secs).toFixed(2)}× | ` +
        `${Math.min(...rates).toFixed(0)}–${Math.max(...rates).toFixed(0)} | ` +
        `${(median(ms.map((m) => m.maxRssKiB)) / 1024).toFixed(0)} | ${median(ms.map((m) => m.cpuSeconds)).toFixed(2)} |`,
    );
  }
  await remove(DOWNLOAD_KEY);
  rmSync(source, { force: true });

  if (STDIN_GIB > 0) {
    // memstore needs about twice the object in RAM; else the embedded dev S3 (s3rver, on disk).
    const available = Number(/MemAvailable:\s+(\d+)/.exec(readFileSync("/proc/meminfo", "utf8"))?.[1] ?? 0) * 1024;
    const onRgw = available > (2 * STDIN_GIB + 4) * GiB;
    let url = server.url;
    let dev: ChildProcess | undefined;
    if (!onRgw) {
      const dataDir = join(work, "dev-s3");
      mkdirSync(dataDir);
      dev = spawn(process.execPath, ["bin/presignd", "serve", "--dev", "--dev-data-dir", dataDir], {
        env: { ...process.env, PRESIGND_ADDR: "127.0.0.1:0", PRESIGND_DEV_S3_ADDR: "127.0.0.1:0" },
        stdio: ["ignore", "pipe", "inherit"],
      });
      children.add(dev);
      url = await new Promise<string>((resolve, reject) => {
        createInterface({ input: dev?.stdout as NodeJS.ReadableStream }).on("line", (line) => {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg?.startsWith("presignd listening")) resolve(entry.url as string);
        });
        dev?.once("exit", (code) => reject(new Error(`dev server exited (${code})`)));
      });
    }
    const key = "bench/stdin";
    const cmd = presignd("put", key)
      .map((a) => (a === server.url ? url : a))
      .map((a) => `'${a}'`)
      .join(" ");
    const timeFile = join(work, "time.txt");
    const m = await measure(
      [`head -c ${STDIN_GIB}G /dev/zero | /usr/bin/time -o '${timeFile}' -f '%M %U %S' ${cmd}`],
      undefined,
      true,
    );
    if (onRgw) {
      const stored = await sizeAtS3(key);
      if (stored !== STDIN_GIB * GiB) throw new Error(`stdin upload: S3 holds ${stored} bytes`);
      await remove(key);
    }
    if (dev) {
      dev.kill("SIGTERM");
      await new Promise((resolve) => dev?.once("exit", resolve));
      children.delete(dev);
    }
    console.log(
      `\n\`head -c ${STDIN_GIB}G /dev/zero | presignd put ${key}\` (multipart, 8 MiB parts, -c 4) against ` +
        `${onRgw ? "RGW (memstore)" : "the embedded dev S3 (s3rver on disk): not enough free RAM for memstore"}: ` +
        `${m.seconds.toFixed(1)} s, ${((STDIN_GIB * GiB) / MiB / m.seconds).toFixed(1)} MiB/s, ` +
        `peak RSS (VmHWM) ${(m.maxRssKiB / 1024).toFixed(0)} MiB, CPU ${m.cpuSeconds.toFixed(1)} s`,
    );
  }
} finally {
  await cleanup();
}
