// Server processes for the HTTP benchmarks (bench/vs-go.ts, bench/uploads.ts):
// each in its own process, with its stdout+stderr appended to a log file
// (writing the logs is part of the cost measured), and the machine's
// description for the results.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import os from "node:os";
import { DEV_CREDENTIALS } from "../src/server/s3/dev-s3.js";

export const REGION = "us-east-1";

export interface Server {
  readonly url: string;
  readonly pid: number;
  readonly logFile: string;
  readonly child: ChildProcess;
}

/** Starts a server with stdout+stderr appended to `logFile`; resolves once a log line yields its URL. */
export async function startServer(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  logFile: string,
  urlFromLine: (line: string) => string | undefined,
): Promise<Server> {
  const fd = openSync(logFile, "a");
  const child = spawn(command, args, { env, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = `${command} ${args.join(" ")} exited (${signal ?? code}); its log: ${logFile}`;
  });
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; ) {
    for (const line of readFileSync(logFile, "utf8").split("\n")) {
      const url = urlFromLine(line);
      if (url) return { url, pid: child.pid as number, logFile, child };
    }
    if (exited) throw new Error(exited);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill("SIGTERM");
  throw new Error(`${command} did not start within 30 s; its log: ${logFile}`);
}

/** The URL in presignd's "presignd listening" log line. */
export function presigndListening(line: string): string | undefined {
  if (!line.startsWith("{")) return undefined;
  const entry = JSON.parse(line) as { msg?: string; url?: string };
  return entry.msg?.startsWith("presignd listening") ? entry.url : undefined;
}

/** SIGTERMs the servers and waits for them to exit. */
export async function stopServers(children: readonly ChildProcess[]): Promise<void> {
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(
    children.map((child) =>
      child.exitCode === null && child.signalCode === null ? new Promise((r) => child.once("exit", r)) : undefined,
    ),
  );
}

/** An environment with only PATH and HOME of ours, plus static credentials: no profile, no instance metadata. */
export function serverEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
    AWS_REGION: REGION,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    ...extra,
  };
}

export async function readyz(server: Server): Promise<void> {
  let last = "";
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
    const res = await fetch(`${server.url}/readyz`);
    last = `${res.status} ${await res.text()}`;
    if (res.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`presignd is not ready: /readyz answered ${last}`);
}

export const machine = {
  cpus: os.availableParallelism(),
  model: /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? "unknown CPU",
  memGiB: Math.round(os.totalmem() / 2 ** 30),
  node: process.version,
  date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
  load: os.loadavg()[0]?.toFixed(2),
};

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}
