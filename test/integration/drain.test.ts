import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@connectrpc/connect";
import { nodeTransport } from "../../src/cli/node-client.js";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../../src/gen/grpc/health/v1/health_pb.js";
import { grpcFrame } from "../support/h2-raw.js";
import { type ServeProcess, startServe } from "../support/serve-process.js";
import { waitFor } from "../support/wait-for.js";

const PROTOCOLS = ["connect", "grpc", "grpc-web"] as const;
const DRAIN_DELAY_MS = 1000;
const SHUTDOWN_TIMEOUT_MS = 5000;

const dataDirs: string[] = [];
after(async () => {
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

/** `presignd serve --dev` as a real process on free ports, once it logged its URL. */
async function serve(args: readonly string[]): Promise<ServeProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), "presignd-drain-"));
  dataDirs.push(dataDir);
  return startServe(
    ["--dev", "--dev-data-dir", dataDir, "-a", "127.0.0.1:0", "--dev-s3-addr", "127.0.0.1:0", ...args],
    { startTimeoutMs: 15_000 },
  );
}

const health = (url: string, transport: (typeof PROTOCOLS)[number]) =>
  createClient(Health, nodeTransport({ baseUrl: url, transport }));

/** A Connect JSON Check over HTTP/1.1 whose body arrives only when `finish` is called. */
function heldConnectCheck(url: string): { finish(): void; response: Promise<{ status: number; body: string }> } {
  const req = http.request(`${url}/grpc.health.v1.Health/Check`, {
    method: "POST",
    headers: { "content-type": "application/json", "content-length": "2" },
    agent: false,
  });
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on("error", reject);
    req.on("response", (res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
  });
  req.write("{");
  return { finish: () => req.end("}"), response };
}

/** A gRPC Check on `session` whose message arrives only when `finish` is called. */
function heldGrpcCheck(session: http2.ClientHttp2Session): { finish(): void; grpcStatus: Promise<string> } {
  const stream = session.request({
    ":method": "POST",
    ":path": "/grpc.health.v1.Health/Check",
    "content-type": "application/grpc",
    te: "trailers",
  });
  const frame = grpcFrame(new Uint8Array(0));
  const grpcStatus = new Promise<string>((resolve, reject) => {
    let status = "no trailers";
    stream.on("trailers", (t) => (status = String(t["grpc-status"])));
    stream.on("data", () => {});
    stream.on("error", reject);
    stream.on("close", () =>
      stream.rstCode === http2.constants.NGHTTP2_NO_ERROR
        ? resolve(status)
        : reject(new Error(`RST ${stream.rstCode}`)),
    );
  });
  stream.write(frame.subarray(0, 2));
  return { finish: () => stream.end(frame.subarray(2)), grpcStatus };
}

function connectRefused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), hostname);
    socket.once("connect", () => {
      socket.destroy();
      resolve(false);
    });
    socket.once("error", (error: NodeJS.ErrnoException) => resolve(error.code === "ECONNREFUSED"));
  });
}

describe("graceful drain on SIGTERM (serve --drain-delay 1s --shutdown-timeout 5s)", () => {
  it("200 Watch streams and held requests across Connect, gRPC and gRPC-Web all finish OK; exit 0 in time", async () => {
    const served = await serve(["--drain-delay", "1s", "--shutdown-timeout", "5s"]);
    const { url, lines } = served;
    try {
      // 200 server-streaming Watch calls, each in flight once its first answer arrived.
      const started: Promise<void>[] = [];
      const watches = Array.from({ length: 200 }, (_, i) => {
        const protocol = PROTOCOLS[i % PROTOCOLS.length] as (typeof PROTOCOLS)[number];
        let first: () => void = () => {};
        started.push(new Promise<void>((resolve) => (first = resolve)));
        return (async () => {
          const seen: Status[] = [];
          for await (const answer of health(url, protocol).watch({})) {
            seen.push(answer.status);
            first();
          }
          return { protocol, last: seen.at(-1) };
        })();
      });
      await Promise.all(started);
      // Requests the server holds past the drain delay: bodies not yet complete.
      const session = http2.connect(url);
      let goaway = false;
      session.on("goaway", () => (goaway = true));
      const heldH1 = Array.from({ length: 5 }, () => heldConnectCheck(url));
      const heldH2 = Array.from({ length: 5 }, () => heldGrpcCheck(session));
      await sleep(200);

      const signalledAt = Date.now();
      served.signal("SIGTERM");
      // NOT_SERVING at once: logged by the server within 100 ms, and /readyz says so.
      const changed = await waitFor(
        () =>
          lines.find((l) => l.msg === "health changed" && l.health === "NOT_SERVING" && l.reason === "shutting down"),
        2000,
      );
      const notServingMs = (changed.time as number) - signalledAt;
      assert.ok(notServingMs < 100, `NOT_SERVING ${notServingMs} ms after SIGTERM`);
      const readyz = await fetch(`${url}/readyz`);
      assert.equal(readyz.status, 503, await readyz.text());

      // New calls during the drain delay still succeed, on every protocol, on new connections too.
      for (const protocol of PROTOCOLS) {
        assert.equal((await health(url, protocol).check({})).status, Status.NOT_SERVING, protocol);
      }
      assert.equal(await connectRefused(url), false, "new connections are accepted during the drain delay");
      assert.ok(Date.now() - signalledAt < DRAIN_DELAY_MS, "the calls above ran within the drain delay");

      // After the drain delay: the port is closed, HTTP/2 got GOAWAY, held requests still finish.
      await sleep(DRAIN_DELAY_MS + 300 - (Date.now() - signalledAt));
      assert.equal(await connectRefused(url), true, "new connections are refused once the drain delay ended");
      assert.ok(goaway, "the open HTTP/2 session got GOAWAY");
      for (const held of [...heldH1, ...heldH2]) held.finish();
      for (const held of heldH1) {
        const { status, body } = await held.response;
        assert.equal(status, 200, body);
        assert.deepEqual(JSON.parse(body), { status: "NOT_SERVING" });
      }
      for (const held of heldH2) assert.equal(await held.grpcStatus, "0");
      session.close();

      const results = await Promise.allSettled(watches);
      const failed = results.filter((r) => r.status === "rejected");
      assert.equal(failed.length, 0, `failed Watch calls: ${failed.map((r) => String(r.reason)).join("; ")}`);
      for (const r of results) if (r.status === "fulfilled") assert.equal(r.value.last, Status.NOT_SERVING);

      const code = await served.exited;
      const exitMs = Date.now() - signalledAt;
      assert.equal(code, 0);
      assert.ok(exitMs < DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS + 2000, `exited ${exitMs} ms after SIGTERM`);
      assert.equal(lines.at(-1)?.msg, "stopped", "the last log line is flushed before exit");
      assert.ok(lines.some((l) => l.msg === "shutting down" && l.signal === "SIGTERM"));
    } finally {
      served.signal("SIGKILL");
    }
  });

  it("a second SIGTERM during the drain exits at once with 143", async () => {
    const served = await serve(["--drain-delay", "10s"]);
    try {
      // Serving (the signal handlers are installed once the port listens).
      await health(served.url, "grpc").check({});
      served.signal("SIGTERM");
      await waitFor(() => (served.lines.some((l) => String(l.msg).startsWith("draining")) ? true : undefined), 5000);
      const secondAt = Date.now();
      served.signal("SIGTERM");
      assert.equal(await served.exited, 143);
      assert.ok(Date.now() - secondAt < 2000, "no waiting for the drain delay");
    } finally {
      served.signal("SIGKILL");
    }
  });
});
