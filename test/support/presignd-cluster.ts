import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type DevS3, startDevS3 } from "../../src/server/s3/dev-s3.js";
import { freePort } from "./free-port.js";
import { ALLOW_ALL, KEYS, writePolicy } from "./policy.js";
import { type Postgres, startPostgres } from "./postgres.js";
import { PRESIGND, ROOT } from "./run.js";
import { tempDir } from "./temp-dir.js";
import { waitFor } from "./wait-for.js";

export const CLUSTER_BUCKET = "scale";

/** A start on the 2 shared, busy cores of CI can take this long (Node, the SDK, pg; then the first S3 probe). */
const START_TIMEOUT_MS = 60_000;

/** One `presignd serve` process of the cluster, on a port it keeps across restarts. */
export interface Instance {
  /** s1, s2, … (HAProxy's server names). */
  readonly name: string;
  readonly port: number;
  readonly url: string;
}

/** N presignd processes in production mode sharing one PostgreSQL handle store, one policy and one sealing key. */
export interface PresigndCluster {
  readonly instances: readonly Instance[];
  /** The API key the policy lets sign anything. */
  readonly apiKey: string;
  /** kill -9, and wait for the process to be gone. */
  kill(name: string): Promise<void>;
  /** SIGTERM (graceful drain), and wait for the exit: its code and how long it took. */
  stop(name: string): Promise<{ code: number | null; ms: number }>;
  /** Starts a stopped instance again on its port and waits until its /readyz answers 200. */
  start(name: string): Promise<void>;
  /** The last lines an instance logged (warnings and errors), for a failure message. */
  logTail(name: string): string;
  close(): Promise<void>;
}

export interface ClusterOptions {
  readonly count: number;
  /** --drain-delay of every instance, e.g. "1s": longer than HAProxy needs to see /readyz fail. */
  readonly drainDelay: string;
  readonly shutdownTimeout: string;
}

/**
 * A real cluster on loopback: Debian's PostgreSQL, one local S3 (s3rver, in
 * this process) and `presignd serve` processes (bin/presignd: `npm run build`
 * first), with the AWS SDK's credential chain given the S3's account.
 */
export async function startPresigndCluster(options: ClusterOptions): Promise<PresigndCluster> {
  const dir = tempDir("presignd-cluster-");
  const postgres: Postgres = await startPostgres();
  const s3: DevS3 = await startDevS3({
    dataDir: join(dir, "s3"),
    host: "127.0.0.1",
    port: 0,
    buckets: [CLUSTER_BUCKET],
  });
  const handleStore = await postgres.createDatabase("presignd");
  // The sealing key every instance shares: a handle sealed by one opens on all.
  const policy = await writePolicy(
    `${ALLOW_ALL}handles:\n  keys:\n    - kid: "cluster"\n      secret_base64: "${randomBytes(32).toString("base64")}"\n`,
  );
  const instances: Instance[] = [];
  for (let i = 1; i <= options.count; i++) {
    const port = await freePort();
    instances.push({ name: `s${i}`, port, url: `http://127.0.0.1:${port}` });
  }
  const running = new Map<string, { child: ChildProcess; exited: Promise<number | null> }>();
  const logFile = (name: string) => join(dir, `${name}.log`);
  const env = {
    ...process.env,
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONFIG_FILE: join(dir, "no-config"),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, "no-credentials"),
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
  };
  const instance = (name: string) => {
    const found = instances.find((i) => i.name === name);
    if (!found) throw new Error(`no instance ${name}`);
    return found;
  };

  const start = async (name: string) => {
    const { port, url } = instance(name);
    const log = openSync(logFile(name), "a");
    const args = [
      "serve",
      ...["--policy", policy, "-b", CLUSTER_BUCKET, "-r", "us-east-1", "--endpoint", s3.endpoint, "--path-style"],
      ...["--handle-store", handleStore, "-a", `127.0.0.1:${port}`, "--trusted-proxies", "127.0.0.1/32"],
      ...["--drain-delay", options.drainDelay, "--shutdown-timeout", options.shutdownTimeout],
      ...["--log-level", "warn", "--log-keys", "none"],
    ];
    const child = spawn(PRESIGND, args, { cwd: ROOT, env, stdio: ["ignore", log, log] });
    closeSync(log);
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    running.set(name, { child, exited });
    let last = "no answer";
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${logTail(name)}`);
      const ready = await fetch(`${url}/readyz`).then(
        async (r) => {
          last = `${r.status} ${await r.text()}`;
          return r.status === 200;
        },
        (error: Error) => {
          last = error.message;
          return false;
        },
      );
      return ready ? true : undefined;
    }, START_TIMEOUT_MS).catch((error: Error) => {
      throw new Error(`${name} not ready (${last}): ${error.message}; log: ${logTail(name)}`);
    });
  };
  const stopped = async (name: string, signal: NodeJS.Signals) => {
    const proc = running.get(name);
    if (!proc) throw new Error(`${name} is not running`);
    const started = Date.now();
    proc.child.kill(signal);
    const code = await proc.exited;
    running.delete(name);
    return { code, ms: Date.now() - started };
  };
  const logTail = (name: string) => {
    try {
      return readFileSync(logFile(name), "utf8").split("\n").slice(-20).join("\n");
    } catch {
      return "";
    }
  };

  try {
    await Promise.all(instances.map((i) => start(i.name)));
  } catch (error) {
    for (const { child } of running.values()) child.kill("SIGKILL");
    await s3.close();
    await postgres.close();
    throw error;
  }
  return {
    instances,
    apiKey: KEYS.admin,
    async kill(name) {
      await stopped(name, "SIGKILL");
    },
    stop: (name) => stopped(name, "SIGTERM"),
    start,
    logTail,
    async close() {
      await Promise.all([...running.keys()].map((name) => stopped(name, "SIGKILL")));
      await s3.close();
      await postgres.close();
    },
  };
}
