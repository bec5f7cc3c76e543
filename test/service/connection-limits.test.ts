import assert from "node:assert/strict";
import { once } from "node:events";
import type http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import tls from "node:tls";
import { createLogger } from "../../src/server/logging/logger.js";
import type { ConnectionLimits } from "../../src/server/transport/connection-limits.js";
import { createDualServer, createTlsServer, type DualServer } from "../../src/server/transport/listen.js";
import type { NodeHandler } from "../../src/server/transport/node-http.js";
import { makePki, pem, type TestPki } from "../support/certs.js";
import { H2, h2ErrorCode, h2Frame, hpackBlock, type RawH2Connection, rawH2Connect } from "../support/h2-raw.js";
import { rawRequest } from "../support/raw-http.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// Short limits, so that every timeout shows within a second or two.
const HEADER_MS = 500;
const REQUEST_MS = 1200;
const IDLE_MS = 800;
const SHORT = { headerTimeout: `${HEADER_MS}ms`, requestTimeout: `${REQUEST_MS}ms`, idleTimeout: `${IDLE_MS}ms` };
// Two shared cores and other suites running: a timeout may fire this much late.
const SLACK_MS = 1500;
const GET_OBJECT = "/presign.v1.PresignService/GetObject";
// A connection the server fails to close must fail its test, not hang the suite.
const BOUNDED = { timeout: 20_000 };

/** What the server sent on a socket, and when it closed it. */
function watch(socket: net.Socket) {
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  socket.on("error", () => {});
  const closedAt = new Promise<number>((resolve) => socket.once("close", () => resolve(performance.now())));
  return { received: () => Buffer.concat(chunks).toString("latin1"), closedAt };
}

function assertClosedAfter(elapsedMs: number, timeoutMs: number, what: string): void {
  assert.ok(elapsedMs >= timeoutMs - 50, `${what}: closed after ${Math.round(elapsedMs)} ms, before ${timeoutMs} ms`);
  assert.ok(
    elapsedMs <= timeoutMs + SLACK_MS,
    `${what}: still open ${Math.round(elapsedMs)} ms after, timeout ${timeoutMs} ms`,
  );
}

function connect(server: { url: string }): Promise<net.Socket> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname, () => resolve(socket));
    socket.once("error", reject);
  });
}

function tlsConnect(server: { url: string }, pki: TestPki, alpn: string): Promise<tls.TLSSocket> {
  const url = new URL(server.url);
  return new Promise((resolve, reject) => {
    const options = { host: url.hostname, port: Number(url.port), ca: pem(pki.caCert), servername: "localhost" };
    const socket = tls.connect({ ...options, ALPNProtocols: [alpn] }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/** Writes `bytes` one at a time, every `everyMs`, until the socket closes. */
function trickle(socket: net.Socket, bytes: Buffer, everyMs: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= bytes.length) clearInterval(timer);
    else socket.write(bytes.subarray(i, ++i));
  }, everyMs);
  socket.once("close", () => clearInterval(timer));
}

const h1Get = (path: string) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: presignd\r\n\r\n`);

/** Headers of a Connect unary POST, without END_STREAM: the body is still to come. */
function openRpcStream(connection: RawH2Connection, streamId: number, authority: string): void {
  const block = hpackBlock({
    ":method": "POST",
    ":scheme": "http",
    ":path": GET_OBJECT,
    ":authority": authority,
    "content-type": "application/json",
  });
  connection.send(h2Frame(H2.HEADERS, H2.END_HEADERS, streamId, block));
}

describe("connection limits (cleartext: HTTP/1.1 and h2c on one port)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer(SHORT);
  });
  after(() => server.close());

  it("closes a connection that sends nothing after the header timeout", BOUNDED, async () => {
    const socket = await connect(server);
    const start = performance.now();
    const { closedAt, received } = watch(socket);
    assertClosedAfter((await closedAt) - start, HEADER_MS, "silent connection");
    assert.equal(received(), "");
  });

  it("answers 408 and closes when HTTP/1.1 headers trickle in past the header timeout", BOUNDED, async () => {
    const socket = await connect(server);
    const { closedAt, received } = watch(socket);
    const start = performance.now();
    socket.write("GET /healthz HTTP/1.1\r\nHost: presignd\r\n");
    trickle(socket, Buffer.from("X-Slow: 1\r\n".repeat(100)), 20);
    assertClosedAfter((await closedAt) - start, HEADER_MS, "slow headers");
    assert.match(received(), /^HTTP\/1\.1 408 /);
  });

  it("closes a connection whose HTTP/2 preface stops halfway", BOUNDED, async () => {
    const socket = await connect(server);
    const { closedAt } = watch(socket);
    const start = performance.now();
    socket.write(H2.PREFACE.subarray(0, 16));
    assertClosedAfter((await closedAt) - start, HEADER_MS, "partial preface");
  });

  it("closes a connection that sends its HTTP/2 preface a byte at a time", BOUNDED, async () => {
    const socket = await connect(server);
    const { closedAt } = watch(socket);
    const start = performance.now();
    trickle(socket, H2.PREFACE, 50); // 24 bytes: 1.2 s at this pace
    assertClosedAfter((await closedAt) - start, HEADER_MS, "trickled preface");
  });

  it("closes an HTTP/2 connection that sends the magic but no SETTINGS frame", BOUNDED, async () => {
    const socket = await connect(server);
    const { closedAt } = watch(socket);
    const start = performance.now();
    socket.write(H2.PREFACE);
    assertClosedAfter((await closedAt) - start, HEADER_MS, "no SETTINGS");
  });

  it("sends GOAWAY to an HTTP/2 session that opens no stream, after the idle timeout", BOUNDED, async () => {
    const session = http2.connect(server.url);
    const start = performance.now();
    const goaway = new Promise<number>((resolve) => session.once("goaway", (code) => resolve(code)));
    const closed = new Promise<number>((resolve) => session.once("close", () => resolve(performance.now())));
    session.on("error", () => {});
    assert.equal(await goaway, http2.constants.NGHTTP2_NO_ERROR);
    assertClosedAfter((await closed) - start, IDLE_MS, "idle h2 session");
  });

  it("counts an HTTP/2 session's idle time from its last stream", BOUNDED, async () => {
    const session = http2.connect(server.url);
    session.on("error", () => {});
    const closed = new Promise<number>((resolve) => session.once("close", () => resolve(performance.now())));
    // Requests for 1.5 idle timeouts: the session must stay open throughout.
    const until = performance.now() + IDLE_MS * 1.5;
    let lastClosed = 0;
    while (performance.now() < until) {
      await sleep(IDLE_MS / 4);
      await new Promise<void>((resolve, reject) => {
        const stream = session.request({ ":path": "/healthz" });
        stream.on("error", reject);
        stream.resume();
        stream.on("close", () => resolve());
      });
      lastClosed = performance.now();
    }
    assertClosedAfter((await closed) - lastClosed, IDLE_MS, "h2 session idle after its last stream");
  });

  it("closes an idle HTTP/1.1 keep-alive connection after the idle timeout", BOUNDED, async () => {
    const socket = await connect(server);
    const { closedAt, received } = watch(socket);
    socket.write(h1Get("/healthz"));
    while (!received().includes("\r\n\r\n")) await sleep(5);
    const answered = performance.now();
    assert.match(received(), /^HTTP\/1\.1 200 /);
    assert.match(received(), /keep-alive/i);
    assertClosedAfter((await closedAt) - answered, IDLE_MS, "idle keep-alive");
  });

  it("answers 408 when an HTTP/1.1 body trickles in past the request timeout", BOUNDED, async () => {
    const socket = await connect(server);
    const { closedAt, received } = watch(socket);
    const start = performance.now();
    socket.write(
      `POST ${GET_OBJECT} HTTP/1.1\r\nHost: presignd\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
    );
    trickle(socket, Buffer.alloc(1000, 0x20), 20);
    assertClosedAfter((await closedAt) - start, REQUEST_MS, "slow HTTP/1.1 body");
    assert.match(received(), /^HTTP\/1\.1 408 /);
  });

  it(
    "resets an HTTP/2 stream whose body trickles in past the request timeout, and retires the session",
    BOUNDED,
    async () => {
      const connection = await rawH2Connect(server.url);
      const start = performance.now();
      openRpcStream(connection, 1, new URL(server.url).host);
      const timer = setInterval(() => connection.send(h2Frame(H2.DATA, 0, 1, Buffer.from(" "))), 20);
      try {
        const reset = await connection.next((f) => f.type === H2.RST_STREAM && f.streamId === 1, REQUEST_MS + SLACK_MS);
        assertClosedAfter(performance.now() - start, REQUEST_MS, "slow HTTP/2 body");
        assert.equal(h2ErrorCode(reset), H2.CANCEL);
      } finally {
        clearInterval(timer);
      }
      // As HTTP/1.1 answers 408 and closes the connection.
      const goaway = await connection.next((f) => f.type === H2.GOAWAY, SLACK_MS);
      assert.equal(h2ErrorCode(goaway), H2.NO_ERROR);
      await connection.closed;
    },
  );
});

describe("connection limits (TLS: HTTP/2 and HTTP/1.1 by ALPN)", () => {
  let pki: TestPki;
  let server: TestServer;
  before(async () => {
    pki = makePki();
    server = await startTestServer({ ...SHORT, tlsCert: pki.serverCert, tlsKey: pki.serverKey });
  });
  after(() => server.close());

  it("closes a connection that never starts its TLS handshake after the header timeout", BOUNDED, async () => {
    const socket = await connect(server);
    const start = performance.now();
    const { closedAt } = watch(socket);
    assertClosedAfter((await closedAt) - start, HEADER_MS, "silent TLS connection");
  });

  it("answers 408 when HTTP/1.1 headers trickle in past the header timeout", BOUNDED, async () => {
    const socket = await tlsConnect(server, pki, "http/1.1");
    const { closedAt, received } = watch(socket);
    const start = performance.now();
    socket.write("GET /healthz HTTP/1.1\r\nHost: presignd\r\n");
    trickle(socket, Buffer.from("X-Slow: 1\r\n".repeat(100)), 20);
    assertClosedAfter((await closedAt) - start, HEADER_MS, "slow TLS headers");
    assert.match(received(), /^HTTP\/1\.1 408 /);
  });

  it("closes an idle HTTP/1.1 keep-alive connection after the idle timeout", BOUNDED, async () => {
    const socket = await tlsConnect(server, pki, "http/1.1");
    const { closedAt, received } = watch(socket);
    socket.write(h1Get("/healthz"));
    while (!received().includes("\r\n\r\n")) await sleep(5);
    const answered = performance.now();
    assert.match(received(), /^HTTP\/1\.1 200 /);
    assertClosedAfter((await closedAt) - answered, IDLE_MS, "idle TLS keep-alive");
  });

  it("closes an HTTP/2 connection that sends no SETTINGS frame", BOUNDED, async () => {
    const socket = await tlsConnect(server, pki, "h2");
    const { closedAt } = watch(socket);
    const start = performance.now();
    socket.write(H2.PREFACE);
    assertClosedAfter((await closedAt) - start, HEADER_MS, "TLS h2 without SETTINGS");
  });

  it("sends GOAWAY to an HTTP/2 session that opens no stream, after the idle timeout", BOUNDED, async () => {
    const session = http2.connect(server.url, { ca: pem(pki.caCert), servername: "localhost" });
    const start = performance.now();
    session.on("error", () => {});
    const goaway = new Promise<number>((resolve) => session.once("goaway", (code) => resolve(code)));
    const closed = new Promise<number>((resolve) => session.once("close", () => resolve(performance.now())));
    assert.equal(await goaway, http2.constants.NGHTTP2_NO_ERROR);
    assertClosedAfter((await closed) - start, IDLE_MS, "idle TLS h2 session");
  });
});

describe("a response may outlast the request timeout once the request is in", () => {
  // A handler that answers after 1.5 request timeouts: the request timeout
  // covers receiving the request, not sending the answer (server streams).
  const limits: ConnectionLimits = {
    headerTimeoutMs: 300,
    requestTimeoutMs: 600,
    idleTimeoutMs: 300,
    maxConnections: 100,
    maxConcurrentStreams: 100,
  };
  const slow: NodeHandler = (req, res) => {
    req.resume();
    req.on("end", () => {
      // One write is one call signature for both response types.
      const out = res as http.ServerResponse;
      out.writeHead(200, { "content-type": "text/plain" });
      out.write("first ");
      setTimeout(() => out.end("last"), limits.requestTimeoutMs * 1.5);
    });
  };
  const logger = createLogger("silent");
  let pki: TestPki;
  const servers: DualServer[] = [];
  before(() => {
    pki = makePki();
  });
  after(() => Promise.all(servers.map((s) => s.close(100))));

  const listen = async (dual: DualServer) => {
    servers.push(dual);
    await new Promise<void>((resolve) => dual.server.listen(0, "127.0.0.1", resolve));
    return (dual.server.address() as net.AddressInfo).port;
  };

  const h2Post = (session: http2.ClientHttp2Session) =>
    new Promise<string>((resolve, reject) => {
      const stream = session.request({ ":method": "POST", ":path": "/" });
      let body = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk: string) => {
        body += chunk;
      });
      stream.on("error", reject);
      stream.on("close", () => resolve(body));
      stream.end("request");
    });

  it("over h2c and HTTP/1.1", BOUNDED, async () => {
    const port = await listen(createDualServer(slow, { limits, logger }));
    const session = http2.connect(`http://127.0.0.1:${port}`);
    assert.equal(await h2Post(session), "first last");
    session.close();
    const h1 = await rawRequest(`http://127.0.0.1:${port}/`, { method: "POST", body: "request" });
    assert.equal(h1.body.toString(), "first last");
  });

  it("over TLS, HTTP/2 and HTTP/1.1", BOUNDED, async () => {
    const tlsOptions = { cert: Buffer.from(pem(pki.serverCert)), key: Buffer.from(pem(pki.serverKey)) };
    const port = await listen(createTlsServer(slow, tlsOptions, { limits, logger }));
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca: pem(pki.caCert), servername: "localhost" });
    assert.equal(await h2Post(session), "first last");
    session.close();
    const socket = tls.connect({ port, host: "127.0.0.1", ca: pem(pki.caCert), servername: "localhost" });
    const { closedAt, received } = watch(socket);
    socket.write("POST / HTTP/1.1\r\nHost: presignd\r\nContent-Length: 7\r\nConnection: close\r\n\r\nrequest");
    await closedAt;
    assert.match(received(), /^HTTP\/1\.1 200 [\s\S]*first [\s\S]*last/);
  });
});

for (const mode of ["cleartext", "TLS"] as const) {
  describe(`connection cap (${mode})`, () => {
    const MAX = 4;
    let pki: TestPki;
    let server: TestServer;
    before(async () => {
      pki = makePki();
      const tlsFiles = mode === "TLS" ? { tlsCert: pki.serverCert, tlsKey: pki.serverKey } : {};
      server = await startTestServer({ maxConnections: String(MAX), ...tlsFiles });
    });
    after(() => server.close());

    /** A connection known to be accepted: it answered a request, and is kept alive. */
    const answered = async () => {
      const socket = mode === "TLS" ? await tlsConnect(server, pki, "http/1.1") : await connect(server);
      const { received } = watch(socket);
      socket.write(h1Get("/healthz"));
      while (!received().includes("\r\n\r\n")) await sleep(5);
      return socket;
    };
    const ready = async () => {
      const session = http2.connect(server.url, mode === "TLS" ? { ca: pem(pki.caCert), servername: "localhost" } : {});
      session.on("error", () => {});
      const status = await new Promise<number>((resolve) => {
        const stream = session.request({ ":path": "/readyz" });
        stream.on("response", (headers) => resolve(Number(headers[":status"])));
        stream.on("error", () => resolve(0));
        stream.on("close", () => resolve(0));
        stream.resume();
      });
      session.destroy();
      return status;
    };

    it(
      "closes connections beyond --max-connections at once, warns once, and serves again when others close",
      BOUNDED,
      async () => {
        const held: net.Socket[] = [];
        for (let i = 0; i < MAX; i++) held.push(await answered());
        for (let i = 0; i < 3; i++) {
          const url = new URL(server.url);
          const start = performance.now();
          const { closedAt, received } = watch(net.connect(Number(url.port), url.hostname));
          const closedIn = (await closedAt) - start;
          // (An accepted connection would wait for its first bytes or TLS handshake for 10 s.)
          assert.ok(closedIn < 1000, `connection ${MAX + 1 + i} closed after ${Math.round(closedIn)} ms`);
          assert.equal(received(), "");
        }
        const warnings = server.logs.filter((line) => /connection limit/.test(String(line.msg)));
        assert.equal(warnings.length, 1, "one warning per 10 s, not one per refused connection");
        assert.equal(warnings[0]?.level, 40);
        assert.equal(warnings[0]?.max_connections, MAX);
        assert.equal(warnings[0]?.refused, 1);

        held.pop()?.destroy();
        let status = 0;
        for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
          status = await ready();
          if (status !== 200) await sleep(20);
        }
        assert.equal(status, 200);
        for (const socket of held) socket.destroy();
      },
    );
  });
}

describe("HTTP/2 stream cap", () => {
  const STREAMS = 64;
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ maxConcurrentStreams: String(STREAMS) });
  });
  after(() => server.close());

  it("advertises --max-concurrent-streams in SETTINGS", BOUNDED, async () => {
    const session = http2.connect(server.url);
    session.on("error", () => {});
    await new Promise((resolve) => session.once("remoteSettings", resolve));
    assert.equal(session.remoteSettings.maxConcurrentStreams, STREAMS);
    session.close();
  });

  it("refuses streams beyond it, and 3 rounds of 20,000 streams leave RSS bounded", BOUNDED, async () => {
    const authority = new URL(server.url).host;
    const rssBefore = process.memoryUsage().rss;
    for (let round = 0; round < 3; round++) {
      const connection = await rawH2Connect(server.url);
      const count = 20_000;
      for (let id = 1; id < 2 * count; id += 2) openRpcStream(connection, id, authority);
      // Each stream is either refused (RST_STREAM), cut by a GOAWAY, or open.
      const settled = () => {
        const reset = new Set(connection.frames.filter((f) => f.type === H2.RST_STREAM).map((f) => f.streamId));
        const goaway = connection.frames.find((f) => f.type === H2.GOAWAY);
        const lastProcessed = goaway ? goaway.payload.readUInt32BE(0) & 0x7fffffff : Number.POSITIVE_INFINITY;
        let open = 0;
        for (let id = 1; id < 2 * count; id += 2) if (!reset.has(id) && id <= lastProcessed) open++;
        return { open, done: open <= STREAMS || connection.socket.destroyed };
      };
      const deadline = performance.now() + 10_000;
      while (!settled().done && performance.now() < deadline) await sleep(50);
      const { open } = settled();
      assert.ok(open <= STREAMS, `round ${round}: ${open} streams open at once, cap ${STREAMS}`);
      const refused = connection.frames.filter((f) => f.type === H2.RST_STREAM && h2ErrorCode(f) === H2.REFUSED_STREAM);
      assert.ok(refused.length > 0, `round ${round}: no stream refused with REFUSED_STREAM`);
      connection.socket.destroy();
      await connection.closed;
    }
    await sleep(200);
    const grewMb = (process.memoryUsage().rss - rssBefore) / 2 ** 20;
    assert.ok(grewMb < 150, `RSS grew ${grewMb.toFixed(0)} MiB over 3 rounds of 20,000 streams`);
    // And the server still answers on a new connection.
    assert.equal((await rawRequest(`${server.url}/healthz`)).status, 200);
  });
});

describe("an HTTP/2 connection on which large uploads were abandoned", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  const request = (session: http2.ClientHttp2Session, path: string) =>
    new Promise<number>((resolve) => {
      try {
        const stream = session.request({ ":path": path });
        let status = 0;
        stream.on("response", (headers) => {
          status = Number(headers[":status"]);
        });
        stream.on("error", () => {});
        stream.resume();
        stream.on("close", () => resolve(stream.rstCode === 0 ? status : -stream.rstCode));
      } catch {
        resolve(-1); // the session no longer takes streams (GOAWAY)
      }
    });

  // The server answers without reading the body (over the 256 KiB request
  // limit; a GET takes none); the client has 12 MiB queued (written without
  // waiting for the window) and cancels the stream.
  const abandonUpload = (session: http2.ClientHttp2Session, headers: http2.OutgoingHttpHeaders) =>
    new Promise<number>((resolve) => {
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(headers);
      } catch {
        return resolve(-1); // GOAWAY came first
      }
      let status = 0;
      stream.on("response", (h) => {
        status = Number(h[":status"]);
        stream.close(http2.constants.NGHTTP2_CANCEL);
      });
      stream.on("error", () => {});
      stream.on("close", () => resolve(status));
      for (let i = 0; i < 12; i++) stream.write(Buffer.alloc(2 ** 20));
    });

  const watchGoaway = (session: http2.ClientHttp2Session) => {
    const seen: { code?: number } = {};
    session.on("goaway", (code) => {
      seen.code = code;
    });
    session.on("error", () => {});
    return seen;
  };

  it("ordinary requests, with and without a body, get no GOAWAY", BOUNDED, async () => {
    const session = http2.connect(server.url);
    const goaway = watchGoaway(session);
    assert.equal(await request(session, "/healthz"), 200);
    assert.equal(await request(session, "/presign/a.txt?method=GET"), 200);
    const rpc = await new Promise<number>((resolve, reject) => {
      const stream = session.request({ ":method": "POST", ":path": GET_OBJECT, "content-type": "application/json" });
      stream.on("response", (headers) => resolve(Number(headers[":status"])));
      stream.on("error", reject);
      stream.resume();
      stream.end(JSON.stringify({ key: "a.txt" }));
    });
    assert.equal(rpc, 200);
    await sleep(100);
    assert.equal(goaway.code, undefined);
    assert.equal(session.closed, false);
    session.close();
  });

  for (const [name, headers] of [
    [
      "a Connect request over the size limit",
      {
        ":method": "POST",
        ":path": GET_OBJECT,
        "content-type": "application/json",
        "content-length": String(12 * 2 ** 20),
      },
    ],
    ["a REST GET with a body", { ":method": "GET", ":path": "/presign/a.txt?method=GET" }],
  ] as const) {
    it(`is retired with GOAWAY, and a new connection works: ${name}`, BOUNDED, async () => {
      // The uploads start before the session is connected (12 MiB each is
      // queued at once): Node's client then counts them against its session
      // memory for good once the streams end unfinished, and refuses its own
      // later streams with RST_STREAM 11 (ENHANCE_YOUR_CALM) while the
      // connection stays open. No server can undo that; a GOAWAY retires the
      // session, so the client opens a new one.
      const session = http2.connect(server.url);
      const goaway = watchGoaway(session);
      for (let i = 0; i < 3 && goaway.code === undefined; i++) await abandonUpload(session, headers);
      const later = await request(session, "/healthz");
      assert.ok(
        later === 200 || goaway.code === http2.constants.NGHTTP2_NO_ERROR,
        `later request on the session: ${later < 0 ? `RST_STREAM ${-later}` : later}, and no GOAWAY`,
      );
      if (goaway.code !== undefined) {
        const closed = session.closed || (await Promise.race([once(session, "close"), sleep(2000)])) !== undefined;
        assert.ok(closed, "the retired session is closed");
      }
      session.destroy();
      const fresh = http2.connect(server.url);
      assert.equal(await request(fresh, "/healthz"), 200);
      fresh.close();
    });
  }
});
