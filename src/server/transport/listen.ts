import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { Logger } from "pino";
import { setHttp1FallbackTimeouts, startHttp1ConnectionChecks } from "./connect-patches/http1-timeouts.js";
import { capConnections } from "./connection-cap.js";
import { type ConnectionLimits, connectionsCheckingIntervalMs } from "./connection-limits.js";
import { http2ServerOptions, limitHttp2Sessions } from "./http2-limits.js";
import type { NodeHandler } from "./node-http.js";

// The client connection preface of HTTP/2 with prior knowledge (RFC 9113 §3.4).
const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export interface DualServer {
  readonly server: net.Server;
  /** Stops accepting, lets in-flight requests finish, then closes idle connections. */
  close(graceMs?: number): Promise<void>;
}

export interface ListenOptions {
  readonly limits: ConnectionLimits;
  /** Where the connection cap warning goes. */
  readonly logger: Logger;
}

/**
 * One TCP port for HTTP/1.1 and cleartext HTTP/2 (h2c with prior knowledge):
 * each connection is handed to the right Node server by its first bytes.
 * Node's http2 server only negotiates HTTP/1.1 fallback over TLS (ALPN).
 */
export function createDualServer(handler: NodeHandler, { limits, logger }: ListenOptions): DualServer {
  const h1 = http.createServer(
    {
      headersTimeout: limits.headerTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.idleTimeoutMs,
      connectionsCheckingInterval: connectionsCheckingIntervalMs(limits),
    },
    handler as http.RequestListener,
  );
  const stopHttp1Checks = startHttp1ConnectionChecks(h1);
  const h2 = http2.createServer(
    http2ServerOptions(limits),
    handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  );
  limitHttp2Sessions(h2, limits, logger);
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  const server = net.createServer((socket) => {
    sockets.add(socket);
    // The first bytes (the whole 24-byte h2c magic) within the header timeout;
    // from there on, the chosen server's timeouts apply.
    const firstBytes = setTimeout(() => socket.destroy(), limits.headerTimeoutMs);
    socket.on("close", () => {
      clearTimeout(firstBytes);
      sockets.delete(socket);
    });
    socket.on("error", () => socket.destroy());
    // Decide on the first bytes, then put them back for the chosen server.
    // (No resume(): the HTTP/2 session reads the socket handle itself.)
    let head = Buffer.alloc(0);
    const onReadable = () => {
      for (let chunk = socket.read() as Buffer | null; chunk !== null; chunk = socket.read() as Buffer | null) {
        head = Buffer.concat([head, chunk]);
      }
      const n = Math.min(head.length, PREFACE.length);
      const isH2 = head.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (head.length === 0 || (isH2 && head.length < PREFACE.length)) return; // need more bytes
      socket.off("readable", onReadable);
      clearTimeout(firstBytes);
      socket.unshift(head);
      (isH2 ? h2 : h1).emit("connection", socket);
    };
    socket.on("readable", onReadable);
  });
  const stopCapWarnings = capConnections(server, limits.maxConnections, logger);
  return {
    server,
    close: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.close();
        // HTTP/1.1 keep-alive connections close as soon as they turn idle.
        const sweep = setInterval(() => h1.closeIdleConnections(), 50);
        h1.closeIdleConnections();
        const timer = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, graceMs);
        server.once("close", () => {
          clearInterval(sweep);
          clearTimeout(timer);
          stopHttp1Checks();
          stopCapWarnings();
        });
      }),
  };
}

export interface TlsOptions {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Client CA: when set, clients may authenticate with a certificate it signed. */
  readonly clientCa?: Buffer;
}

/**
 * TLS on one port: HTTP/2 and HTTP/1.1 negotiated by ALPN, so gRPC needs no
 * h2c. Client certificates are requested but verified by presignd, not at the
 * handshake, so that a missing or untrusted one gets a precise
 * UNAUTHENTICATED answer instead of a failed handshake.
 */
export function createTlsServer(handler: NodeHandler, tls: TlsOptions, { limits, logger }: ListenOptions): DualServer {
  const server = http2.createSecureServer(
    {
      ...http2ServerOptions(limits),
      // A connection's first bytes, the TLS ClientHello, are due as a request's headers are.
      handshakeTimeout: limits.headerTimeoutMs,
      cert: tls.cert,
      key: tls.key,
      allowHTTP1: true,
      minVersion: "TLSv1.2",
      ...(tls.clientCa ? { ca: tls.clientCa, requestCert: true, rejectUnauthorized: false } : {}),
    },
    handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void,
  );
  setHttp1FallbackTimeouts(server, limits);
  limitHttp2Sessions(server, limits, logger);
  const stopCapWarnings = capConnections(server, limits.maxConnections, logger);
  const sockets = new Set<net.Socket>();
  const sessions = new Set<http2.Http2Session>();
  server.on("secureConnection", (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
  });
  return {
    server: server as unknown as net.Server,
    close: (graceMs = 5000) =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.close();
        const timer = setTimeout(() => {
          for (const socket of sockets) socket.destroy();
        }, graceMs);
        server.once("close", () => {
          clearTimeout(timer);
          stopCapWarnings();
        });
      }),
  };
}
