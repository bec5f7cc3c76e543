import http2 from "node:http2";
import type { Logger } from "pino";
import { type ConnectionLimits, HTTP2_SESSION_MEMORY_MB, HTTP2_STREAM_WINDOW_BYTES } from "./connection-limits.js";

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = http2.constants;

/** Options of both HTTP/2 servers (h2c and TLS): the stream cap and per-session memory bounds. */
export function http2ServerOptions(limits: ConnectionLimits): http2.ServerOptions {
  return {
    settings: { maxConcurrentStreams: limits.maxConcurrentStreams, initialWindowSize: HTTP2_STREAM_WINDOW_BYTES },
    maxSessionMemory: HTTP2_SESSION_MEMORY_MB,
  };
}

/**
 * The timeouts Node's HTTP/2 server does not have, on every session:
 * - the client's SETTINGS frame (the end of its preface) within the header timeout;
 * - no open stream for the idle timeout: GOAWAY (graceful close);
 * - a request (headers to END_STREAM) within the request timeout, else
 *   RST_STREAM CANCEL and GOAWAY, as HTTP/1.1 answers 408 and closes; a
 *   stream whose request is in may stay open for its response (server streams);
 * - a response that ends before its request body did (the server answered
 *   without reading it: over the size limit, a body on a GET), the client
 *   then resetting the stream, retires the session with GOAWAY. Node's client keeps counting the queued body of such
 *   a stream against its session memory and then refuses its own new streams
 *   (RST_STREAM 11) on a connection that stays open; after a GOAWAY it opens
 *   a new one. RPCs read their request to its end and never do this; only
 *   /healthz, /readyz, the REST route and 404s answer without reading (a
 *   client that ends such a request in a DATA frame of its own after the
 *   answer reconnects needlessly, which is cheap).
 */
export function limitHttp2Sessions(
  server: http2.Http2Server | http2.Http2SecureServer,
  limits: ConnectionLimits,
  logger: Logger,
): void {
  server.on("session", (session: http2.ServerHttp2Session) => {
    const preface = setTimeout(() => session.destroy(), limits.headerTimeoutMs);
    session.once("remoteSettings", () => clearTimeout(preface));
    let open = 0;
    let idle: NodeJS.Timeout | undefined;
    const startIdle = () => {
      idle = setTimeout(() => session.close(), limits.idleTimeoutMs);
    };
    startIdle();
    session.on("stream", (stream: http2.ServerHttp2Stream) => {
      open++;
      clearTimeout(idle);
      const request = setTimeout(() => {
        if (stream.destroyed || stream.state.remoteClose) return;
        stream.close(NGHTTP2_CANCEL);
        session.close();
      }, limits.requestTimeoutMs);
      // Only a body the server refused (an HTTP error status) or the client
      // then abandoned (RST_STREAM instead of ending its request) leaves a
      // queue to forget; a client that ends its request late (a separate
      // END_STREAM frame after a fast answer, as curl sends for gRPC) keeps
      // its connection. GOAWAY comes after the stream's close, so that
      // a gRPC response's trailers still go out.
      let unread = false;
      stream.once("finish", () => {
        unread = !stream.destroyed && !stream.state.remoteClose;
      });
      stream.once("close", () => {
        clearTimeout(request);
        open--;
        if (session.closed || session.destroyed) return;
        if (unread && (stream.rstCode !== NGHTTP2_NO_ERROR || refused(stream))) {
          logger.debug("HTTP/2 response ended before its request body: GOAWAY, the client reconnects");
          session.close();
        } else if (open === 0) startIdle();
      });
    });
    session.once("close", () => {
      clearTimeout(preface);
      clearTimeout(idle);
    });
  });
}

/** Did the server answer this stream with an HTTP error status? */
function refused(stream: http2.ServerHttp2Stream): boolean {
  return Number(stream.sentHeaders[":status"] ?? 0) >= 400;
}
