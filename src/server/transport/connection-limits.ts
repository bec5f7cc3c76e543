/**
 * What a client may hold on the listening port: time to send headers and
 * requests, idle connections, connections and HTTP/2 streams. Enforced by
 * listen.ts (both the cleartext and the TLS server), validated by config.ts.
 */
export interface ConnectionLimits {
  /** A request's headers; a new connection's first bytes, then its whole HTTP/2 preface. */
  readonly headerTimeoutMs: number;
  /** Receiving one whole request, headers to end of body (not the response: server streams stay open). */
  readonly requestTimeoutMs: number;
  /** An HTTP/1.1 keep-alive connection between requests, or an HTTP/2 session with no open stream. */
  readonly idleTimeoutMs: number;
  /** Open connections; the listener closes any beyond it at once. */
  readonly maxConnections: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS of every session. */
  readonly maxConcurrentStreams: number;
}

/** Defaults as the CLI spells them (this module imports nothing: the CLI loads it at start). */
export const CONNECTION_LIMIT_DEFAULTS = {
  headerTimeout: "10s",
  requestTimeout: "30s",
  idleTimeout: "60s",
  maxConnections: "10000",
  maxConcurrentStreams: "100",
} as const;

/**
 * HTTP/2 flow-control window of each stream (the protocol's default, pinned):
 * a session buffers at most maxConcurrentStreams × this much unread request
 * data (requests are at most 256 KiB anyway).
 */
export const HTTP2_STREAM_WINDOW_BYTES = 65_535;

/** Outbound data queued per HTTP/2 session before new streams are refused (Node's default, pinned). */
export const HTTP2_SESSION_MEMORY_MB = 10;

/**
 * How often Node's HTTP/1.1 server looks for connections past the header or
 * request timeout: a quarter of the shorter one, between 50 ms and 1 s, so a
 * timeout is enforced within 25 % (at most 1 s) of its value.
 */
export function connectionsCheckingIntervalMs(limits: ConnectionLimits): number {
  return Math.min(1000, Math.max(50, Math.floor(Math.min(limits.headerTimeoutMs, limits.requestTimeoutMs) / 4)));
}
