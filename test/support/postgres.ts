import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { chmod, chown, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { freePort } from "./free-port.js";

const run = promisify(execFile);

/** A throw-away PostgreSQL server from Debian's `postgresql` package, on 127.0.0.1. */
export interface Postgres {
  /** postgres://presignd@127.0.0.1:<port>/postgres (trust authentication, loopback only). */
  readonly url: string;
  /** A fresh, empty database on this server. */
  createDatabase(name: string): Promise<string>;
  /** Stops the server (fast shutdown), keeping its data, so a test can see the store fail. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOPs the server and its backends: connections stay open, nothing answers. */
  freeze(): Promise<void>;
  thaw(): Promise<void>;
  /** Stops it and deletes its data. */
  close(): Promise<void>;
}

function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) {
    throw new Error("PostgreSQL server binaries not found: apt-get install postgresql (.ci/run does this)");
  }
  return join(root, versions[0] as string, "bin");
}

/**
 * initdb + pg_ctl into a temporary directory. PostgreSQL refuses to run as
 * root, so as root the server runs as the `postgres` user the package created.
 */
export async function startPostgres(): Promise<Postgres> {
  const bin = binDir();
  const dir = await mkdtemp(join(tmpdir(), "presignd-pg-"));
  const data = join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const as = async (command: string, args: string[]) => {
    const file = join(bin, command);
    return asRoot ? run("runuser", ["-u", "postgres", "--", file, ...args]) : run(file, args);
  };
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
    await chmod(dir, 0o700);
  }
  const port = await freePort();
  await as("initdb", ["-D", data, "-U", "presignd", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  const start = () => as("pg_ctl", ["-D", data, "-o", options, "-w", "-t", "30", "-l", join(dir, "log"), "start"]);
  const stop = () => as("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
  await start();
  const url = `postgres://presignd@127.0.0.1:${port}/postgres`;
  return {
    url,
    async createDatabase(name) {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      await as("createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", "presignd", name]);
      return `postgres://presignd@127.0.0.1:${port}/${name}`;
    },
    stop: async () => {
      await stop();
    },
    start: async () => {
      await start();
    },
    freeze: () => signalAll(data, "STOP"),
    thaw: () => signalAll(data, "CONT"),
    async close() {
      await stop().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Sends a signal to the postmaster of a data directory and every process it started. */
async function signalAll(data: string, signal: "STOP" | "CONT"): Promise<void> {
  const postmaster = Number((await readFile(join(data, "postmaster.pid"), "utf8")).split("\n")[0]);
  const { stdout } = await run("ps", ["-o", "pid=", "--ppid", String(postmaster)]);
  const pids = [postmaster, ...stdout.split(/\s+/).filter(Boolean).map(Number)];
  for (const pid of pids) process.kill(pid, `SIG${signal}`);
}
