import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import net from "node:net";
import { join } from "node:path";
import { tempDir } from "./temp-dir.js";
import { waitFor } from "./wait-for.js";

const HAPROXY = "/usr/sbin/haproxy";

/** How often HAProxy checks each instance's /readyz, and after how many failures (successes) it is down (up). */
export const HEALTH_CHECK = { intervalMs: 200, fall: 2, rise: 2 } as const;

/** Debian's HAProxy in front of presignd instances: HTTP/1.1 (Connect, REST) and h2c (gRPC) frontends. */
export interface Haproxy {
  /** http://127.0.0.1:<port>, HTTP/1.1 to the client and to the instances. */
  readonly http1Url: string;
  /** http://127.0.0.1:<port>, h2c (prior knowledge) to the client and to the instances. */
  readonly h2cUrl: string;
  /** Each instance's state as HAProxy's health check sees it ("UP", "DOWN", "MAINT"…), by server name. */
  serverStates(): Promise<Record<string, string>>;
  /** Waits until HAProxy sees `server` in `state`. */
  waitForState(server: string, state: "UP" | "DOWN", timeoutMs?: number): Promise<void>;
  /** What HAProxy logged (warnings: servers going DOWN and UP, with the reason). */
  log(): string;
  close(): Promise<void>;
}

export interface HaproxyBackend {
  /** Server name in HAProxy (and in the x-served-by response header). */
  readonly name: string;
  readonly port: number;
}

export function haproxyAvailable(): boolean {
  return existsSync(HAPROXY);
}

/**
 * The configuration under test: /readyz health checks (a draining instance
 * answers 503 and leaves rotation before its port closes), connection
 * failures retried and redispatched to another instance, and every response,
 * HAProxy's own 502/503 included, naming the instance in `x-served-by`.
 */
export function haproxyConfig(options: {
  readonly http1Port: number;
  readonly h2cPort: number;
  readonly statsSocket: string;
  readonly backends: readonly HaproxyBackend[];
}): string {
  const { intervalMs, fall, rise } = HEALTH_CHECK;
  const servers = (proto: string, extra: (b: HaproxyBackend) => string) =>
    options.backends.map((b) => `  server ${b.name} 127.0.0.1:${b.port}${proto} ${extra(b)}`).join("\n");
  return `global
  stats socket ${options.statsSocket} mode 600 level admin
  log stderr format short local0 warning

defaults
  mode http
  log global
  timeout connect 1s
  # A check slower than this fails; on busy shared cores a live instance can take a second to answer.
  timeout check 2s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 10s
  retries 2
  option redispatch 1
  option forwardfor

frontend http1
  bind 127.0.0.1:${options.http1Port}
  default_backend presignd_http1

frontend h2c
  bind 127.0.0.1:${options.h2cPort} proto h2
  default_backend presignd_h2c

backend presignd_http1
  balance roundrobin
  http-after-response set-header x-served-by %s
  option httpchk
  http-check send meth GET uri /readyz
  http-check expect status 200
  default-server inter ${intervalMs} fastinter ${intervalMs} downinter ${intervalMs} fall ${fall} rise ${rise}
${servers("", () => "check")}

backend presignd_h2c
  balance roundrobin
  http-after-response set-header x-served-by %s
${servers(" proto h2", (b) => `track presignd_http1/${b.name}`)}
`;
}

export async function startHaproxy(options: {
  readonly http1Port: number;
  readonly h2cPort: number;
  readonly backends: readonly HaproxyBackend[];
}): Promise<Haproxy> {
  const dir = tempDir("presignd-haproxy-");
  const statsSocket = join(dir, "stats.sock");
  const configFile = join(dir, "haproxy.cfg");
  await writeFile(configFile, haproxyConfig({ ...options, statsSocket }));
  const child: ChildProcess = spawn(HAPROXY, ["-db", "-f", configFile], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const statsCommand = (command: string) =>
    new Promise<string>((resolve, reject) => {
      const socket = net.connect(statsSocket);
      let out = "";
      socket.on("data", (c: Buffer) => (out += c.toString()));
      socket.on("end", () => resolve(out));
      socket.on("error", reject);
      socket.end(`${command}\n`);
    });
  const serverStates = async () => {
    const csv = await statsCommand("show stat");
    const [header, ...rows] = csv.split("\n").filter((l) => l.trim() !== "");
    const columns = (header ?? "").replace(/^# /, "").split(",");
    const [px, sv, status] = ["pxname", "svname", "status"].map((c) => columns.indexOf(c)) as [number, number, number];
    const states: Record<string, string> = {};
    for (const row of rows) {
      const cells = row.split(",");
      if (cells[px] === "presignd_http1" && cells[sv] !== "BACKEND") {
        states[cells[sv] as string] = (cells[status] as string).split(" ")[0] as string;
      }
    }
    return states;
  };
  await waitFor(() => {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${stderr}`);
    return existsSync(statsSocket) ? serverStates().catch(() => undefined) : undefined;
  }, 10_000);
  return {
    http1Url: `http://127.0.0.1:${options.http1Port}`,
    h2cUrl: `http://127.0.0.1:${options.h2cPort}`,
    serverStates,
    async waitForState(server, state, timeoutMs = 10_000) {
      await waitFor(async () => ((await serverStates())[server] === state ? true : undefined), timeoutMs);
    },
    log: () => stderr,
    async close() {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
