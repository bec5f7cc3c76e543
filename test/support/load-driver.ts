import { setTimeout as sleep } from "node:timers/promises";
import { type Client, Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { PresignService } from "../../src/gen/presign/v1/presign_pb.js";

/** Set on every response by the balancer (HAProxy's `x-served-by`): the instance that answered. */
export const SERVED_BY = "x-served-by";

/** What the load driver's callers saw. */
export interface LoadCounts {
  /** Calls finished, successfully or not. */
  calls: number;
  ok: number;
  /** Calls whose first attempt failed with `unavailable`, or got no response at all, and were sent once more. */
  retried: number;
  /** Of those, the ones whose second attempt succeeded. */
  retriedOk: number;
  /** Errors a caller sees after the retry (the goal: none). */
  failed: number;
  /** The first few failures, as "kind: code message". */
  failures: string[];
  /** The instance each retried call's failed first attempt was on (NO_ANSWER: the connection closed without a response). */
  lostOn: Record<string, number>;
  /** Successful calls by the instance that answered. */
  servedBy: Record<string, number>;
  /** Per call kind: calls finished. */
  byKind: Record<string, number>;
}

export interface Load {
  /** Stops issuing calls, waits for those in flight, and returns the counts. */
  stop(): Promise<LoadCounts>;
}

export interface LoadOptions {
  /** The balancer's HTTP/1.1 frontend (Connect, REST) and h2c frontend (gRPC). */
  readonly http1Url: string;
  readonly h2cUrl: string;
  readonly apiKey: string;
  /** Calls in flight at most. */
  readonly concurrency: number;
  /** Calls started per second at most, across all callers: the load is bounded. */
  readonly ratePerSecond: number;
  /** Handles minted before the load, used by GetObject through whichever instance answers. */
  readonly handles: readonly { readonly handle: string; readonly key: string }[];
  /** The instances' default bucket (the REST shape signs for it). */
  readonly bucket: string;
}

type Kind = "connect-get" | "connect-put" | "connect-handle" | "grpc-get" | "grpc-put" | "grpc-handle" | "rest-get";
const KINDS: readonly Kind[] = [
  "connect-get",
  "grpc-get",
  "rest-get",
  "connect-put",
  "grpc-put",
  "connect-handle",
  "grpc-handle",
];

/** lostOn's name for a first attempt with no complete answer (a reset connection, a cut-off stream) to name an instance. */
export const NO_ANSWER = "no answer";

/** A failure the caller of one attempt saw, with the instance that answered it. */
class AttemptFailure extends Error {
  constructor(
    readonly code: Code | "http",
    message: string,
    /** The instance named by the balancer's answer, or NO_ANSWER for a connection closed without one. */
    readonly servedBy: string | null,
  ) {
    super(message);
  }
  /** Worth one more attempt: `unavailable` (the balancer's 502/503), or no complete answer at all. */
  get retryable(): boolean {
    return this.code === Code.Unavailable || this.servedBy === NO_ANSWER;
  }
}

/**
 * The connection closed before any response: ECONNRESET (node:http, which
 * connect-node reports as `aborted`) or undici's socket error (fetch). HAProxy
 * does this when a request it sent on a reused connection to an instance gets
 * no answer (the instance died), as an HTTP/1.1 server closing an idle
 * keep-alive connection would, so that the client may retry it.
 */
function connectionReset(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === "ECONNRESET" || e.code === "EPIPE" || e.code === "UND_ERR_SOCKET") return true;
  }
  return false;
}

/**
 * A gRPC answer cut off before its status: the instance died after HAProxy
 * had passed on its response headers, so the stream ends with no trailers
 * (connect-es: `internal`, "protocol error: missing status").
 */
function cutOff(error: ConnectError): boolean {
  return error.code === Code.Internal && error.rawMessage === "protocol error: missing status";
}

/** An HTTP/2 stream the balancer refused (RST_STREAM REFUSED_STREAM): not processed, so safe to send again. */
function refused(error: ConnectError): boolean {
  return error.rawMessage.includes("NGHTTP2_REFUSED_STREAM");
}

/**
 * Bounded load through a balancer: Connect over HTTP/1.1 (GetObject by HTTP
 * GET, PutObject by POST), gRPC over h2c, the REST shape over HTTP/1.1, and
 * GetObject by handle over both. Every call is an idempotent presign, so a
 * call whose first attempt fails with `unavailable` (the balancer's 502/503
 * for a request an instance died with) or gets no response at all (a reset
 * connection) is sent once more: connect-es has no retry of its own.
 */
export function startLoad(options: LoadOptions): Load {
  const counts: LoadCounts = {
    calls: 0,
    ok: 0,
    retried: 0,
    retriedOk: 0,
    failed: 0,
    failures: [],
    lostOn: {},
    servedBy: {},
    byKind: {},
  };
  const bump = (table: Record<string, number>, key: string) => {
    table[key] = (table[key] ?? 0) + 1;
  };
  const auth: Interceptor = (next) => (req) => {
    req.header.set("x-api-key", options.apiKey);
    return next(req);
  };
  const servedBy: Interceptor = (next) => async (req) => {
    const res = await next(req);
    bump(counts.servedBy, res.header.get(SERVED_BY) ?? "?");
    return res;
  };
  const connect = createClient(
    PresignService,
    createConnectTransport({
      baseUrl: options.http1Url,
      httpVersion: "1.1",
      useHttpGet: true,
      interceptors: [auth, servedBy],
    }),
  );
  const grpc = createClient(
    PresignService,
    createGrpcTransport({ baseUrl: options.h2cUrl, interceptors: [auth, servedBy] }),
  );

  const rpc = async (client: Client<typeof PresignService>, kind: Kind, key: string) => {
    const handle = options.handles[key.length % options.handles.length];
    try {
      if (kind.endsWith("-put")) {
        const res = await client.putObject({ bucket: options.bucket, key, contentLength: 5n });
        return { url: res.url, expect: `/${options.bucket}/${key}?` };
      }
      if (kind.endsWith("-handle")) {
        if (!handle) throw new Error("no handles to use");
        const res = await client.getObject({ handle: handle.handle });
        return { url: res.url, expect: `/${options.bucket}/${handle.key}?` };
      }
      const res = await client.getObject({ bucket: options.bucket, key });
      return { url: res.url, expect: `/${options.bucket}/${key}?` };
    } catch (error) {
      const e = ConnectError.from(error);
      const lost = connectionReset(e) || cutOff(e) || refused(e);
      throw new AttemptFailure(e.code, e.rawMessage, lost ? NO_ANSWER : e.metadata.get(SERVED_BY));
    }
  };
  const rest = async (key: string) => {
    const res = await fetch(`${options.http1Url}/presign/${key}?method=GET`, {
      headers: { "x-api-key": options.apiKey },
    }).catch((error: Error) => {
      throw new AttemptFailure(Code.Unknown, `fetch: ${error.message}`, connectionReset(error) ? NO_ANSWER : null);
    });
    const body = await res.text();
    const by = res.headers.get(SERVED_BY);
    if (res.status === 502 || res.status === 503) throw new AttemptFailure(Code.Unavailable, `HTTP ${res.status}`, by);
    if (res.status !== 200) throw new AttemptFailure("http", `HTTP ${res.status}: ${body}`, by);
    bump(counts.servedBy, by ?? "?");
    return { url: (JSON.parse(body) as { URL: string }).URL, expect: `/${options.bucket}/${key}?` };
  };
  const attempt = (kind: Kind, key: string) => {
    if (kind === "rest-get") return rest(key);
    return rpc(kind.startsWith("grpc") ? grpc : connect, kind, key);
  };
  const call = async (kind: Kind, key: string) => {
    let result: { url: string; expect: string };
    try {
      try {
        result = await attempt(kind, key);
      } catch (error) {
        if (!(error instanceof AttemptFailure) || !error.retryable) throw error;
        counts.retried++;
        bump(counts.lostOn, error.servedBy ?? "?");
        result = await attempt(kind, key);
        counts.retriedOk++;
      }
      if (!result.url.includes(result.expect)) throw new Error(`unexpected URL ${result.url}`);
      counts.ok++;
    } catch (error) {
      counts.failed++;
      if (counts.failures.length < 10) {
        const code = error instanceof AttemptFailure ? `${String(error.code)} ` : "";
        counts.failures.push(`${kind}: ${code}${(error as Error).message}`);
      }
    }
    counts.calls++;
    bump(counts.byKind, kind);
  };

  let stopped = false;
  let issued = 0;
  const began = performance.now();
  const interval = 1000 / options.ratePerSecond;
  const worker = async (w: number) => {
    while (!stopped) {
      const n = issued++;
      const wait = began + n * interval - performance.now();
      if (wait > 0) await sleep(wait);
      if (stopped) return;
      await call(KINDS[n % KINDS.length] as Kind, `load/w${w}/${n}.bin`);
    }
  };
  const workers = Array.from({ length: options.concurrency }, (_, w) => worker(w));
  return {
    async stop() {
      stopped = true;
      await Promise.all(workers);
      return counts;
    },
  };
}
