import type http from "node:http";
import type http2 from "node:http2";
import { type ConnectionLimits, connectionsCheckingIntervalMs } from "../connection-limits.js";

/**
 * Node's HTTP/1.1 server enforces `headersTimeout` and `requestTimeout` (and
 * tracks the connections `closeIdleConnections()` closes) from a periodic
 * check that its own "listening" event starts (`setupConnectionsTracking` in
 * lib/_http_server.js). The cleartext HTTP/1.1 server never listens: listen.ts
 * hands it sockets with "connection" events, as Node documents, after sniffing
 * for the h2c preface. So its "listening" event is emitted here. Returns what
 * stops the check (close() on a server that is not listening stops it, then
 * reports ERR_SERVER_NOT_RUNNING, which is ignored).
 * Proven by test/service/connection-limits.test.ts (slow headers, slow body).
 */
export function startHttp1ConnectionChecks(h1: http.Server): () => void {
  h1.emit("listening");
  return () => {
    h1.close(() => {});
  };
}

/**
 * Http2SecureServer with allowHTTP1 hands HTTP/1.1 connections to Node's
 * HTTP/1.1 connection listener with itself as the server. That listener reads
 * `headersTimeout`, `requestTimeout` and `connectionsCheckingInterval` (set in
 * the Http2SecureServer constructor, not documented for http2) and
 * `keepAliveTimeout` (not set there at all: idle keep-alive connections would
 * never close). Must run before listen(): the check starts on "listening".
 */
export function setHttp1FallbackTimeouts(server: http2.Http2SecureServer, limits: ConnectionLimits): void {
  Object.assign(server, {
    headersTimeout: limits.headerTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.idleTimeoutMs,
    connectionsCheckingInterval: connectionsCheckingIntervalMs(limits),
  });
}
