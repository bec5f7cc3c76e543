// The two HTTP load generators of bench/vs-go.ts, Debian's wrk (HTTP/1.1) and
// h2load (nghttp2-client; h2c with prior knowledge), driven the same way:
// one thread, a fixed number of connections with one request in flight each,
// for a fixed time. Each returns completed requests, the measured time and
// what went wrong (non-2xx answers, socket errors), parsed from its output.
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface LoadRequest {
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

export interface LoadOptions {
  readonly connections: number;
  readonly seconds: number;
  /** Where the generator's script or body file is written. */
  readonly workDir: string;
}

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  /** e.g. "12 non-2xx answers, 3 socket errors"; undefined when every request succeeded. */
  readonly failures: string | undefined;
  /** Latency percentiles in ms, where the generator reports them (wrk does, h2load does not). */
  readonly latencyMs?: { readonly p50: number; readonly p99: number };
}

export type LoadGenerator = (request: LoadRequest, options: LoadOptions) => Promise<LoadResult>;

/** A Lua string literal holding exactly these bytes (decimal escapes, valid in LuaJIT and Lua 5.x). */
function luaString(bytes: Uint8Array | string): string {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  return `"${Array.from(data, (b) => `\\${b.toString().padStart(3, "0")}`).join("")}"`;
}

/** wrk -t1 over HTTP/1.1 keep-alive; a generated Lua script sets method, headers and body and prints a JSON summary. */
export const wrk: LoadGenerator = async (request, options) => {
  const script = join(options.workDir, `wrk-${Date.now()}-${Math.random().toString(36).slice(2)}.lua`);
  const lines = [
    `wrk.method = ${luaString(request.method)}`,
    ...Object.entries(request.headers).map(([name, value]) => `wrk.headers[${luaString(name)}] = ${luaString(value)}`),
    ...(request.body ? [`wrk.body = ${luaString(request.body)}`] : []),
    "done = function(summary, latency, requests)",
    "  local e = summary.errors",
    '  io.write(string.format(\'\\n{"requests":%d,"duration_us":%d,"status":%d,"socket":%d,"p50_us":%d,"p99_us":%d}\\n\',',
    "    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,",
    "    latency:percentile(50), latency:percentile(99)))",
    "end",
  ];
  await writeFile(script, `${lines.join("\n")}\n`);
  const { stdout } = await run("wrk", [
    "-t1",
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "-s",
    script,
    request.url,
  ]);
  const json = stdout.split("\n").findLast((line) => line.startsWith("{"));
  if (!json) throw new Error(`wrk printed no summary:\n${stdout}`);
  const s = JSON.parse(json) as {
    requests: number;
    duration_us: number;
    status: number;
    socket: number;
    p50_us: number;
    p99_us: number;
  };
  return {
    requests: s.requests,
    seconds: s.duration_us / 1e6,
    failures: describeFailures(s.requests, s.status, s.socket),
    latencyMs: { p50: s.p50_us / 1000, p99: s.p99_us / 1000 },
  };
};

/** h2load -t1 -m1 over h2c (prior knowledge): the same connections and requests in flight as wrk. */
export const h2load: LoadGenerator = async (request, options) => {
  const args = ["-t1", `-c${options.connections}`, "-m1", `-D${options.seconds}`];
  for (const [name, value] of Object.entries(request.headers)) args.push("-H", `${name}: ${value}`);
  if (request.method === "POST") {
    const bodyFile = join(options.workDir, `h2load-${Date.now()}-${Math.random().toString(36).slice(2)}.body`);
    await writeFile(bodyFile, request.body ?? new Uint8Array());
    args.push("-d", bodyFile);
  }
  const { stdout } = await run("h2load", [...args, request.url]);
  const finished = /finished in ([\d.]+)s/.exec(stdout);
  const counts = /(\d+) done, \d+ succeeded, \d+ failed, (\d+) errored, (\d+) timeout/.exec(stdout);
  const codes = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(stdout);
  if (!finished || !counts || !codes) throw new Error(`h2load printed no summary:\n${stdout}`);
  const [done, errored, timeout] = counts.slice(1).map(Number) as [number, number, number];
  return {
    requests: done,
    seconds: Number(finished[1]),
    // A request that did not end in a 2xx answer (h2load counts stream failures as done, not succeeded).
    failures: describeFailures(done, done - Number(codes[1]), errored + timeout),
  };
};

function describeFailures(requests: number, badStatus: number, socketErrors: number): string | undefined {
  const parts = [
    ...(requests === 0 ? ["no request completed"] : []),
    ...(badStatus > 0 ? [`${badStatus} non-2xx answers`] : []),
    ...(socketErrors > 0 ? [`${socketErrors} socket errors`] : []),
  ];
  return parts.length > 0 ? parts.join(", ") : undefined;
}
