import http from "node:http";
import type { AddressInfo } from "node:net";

/** One request that reached S3 through the proxy, and S3's answer. */
export interface RecordedExchange {
  readonly method: string;
  /** Path and query as sent (the presigned URL's). */
  readonly url: URL;
  readonly headers: http.IncomingHttpHeaders;
  /** S3's status, or the proxy's own when it failed the request on purpose. */
  status: number;
  responseHeaders: http.IncomingHttpHeaders;
  /** When it arrived and when its answer was done (or its connection closed), ms. */
  readonly start: number;
  end?: number;
}

export interface RecordingProxy {
  /** e.g. http://127.0.0.1:41234, for --public-endpoint: presigned URLs then go through the proxy. */
  readonly url: string;
  /** Where requests go; set once the upstream (say the embedded S3) listens. */
  upstreamPort: number;
  /** Every request since the last reset(), in arrival order. */
  readonly exchanges: RecordedExchange[];
  /** The most of the requests since the last reset() that were in flight at once. */
  readonly maxInFlight: number;
  /**
   * The next `count` requests fail: "503" answers S3's SlowDown (retryable),
   * "stall" never answers nor reads the body (until the client gives up).
   */
  failNext(count: number, how: "503" | "stall"): void;
  reset(): void;
  close(): Promise<void>;
}

/**
 * A real HTTP proxy in front of S3 that records what each presigned request
 * carried to S3 (query, headers) and what S3 answered, counts requests in
 * flight, and can fail the next requests the way S3 and networks do. The
 * Host header is passed on unchanged, so signatures still verify.
 */
export async function startRecordingProxy(): Promise<RecordingProxy> {
  let failures: { count: number; how: "503" | "stall" } = { count: 0, how: "503" };
  const stalled = new Set<http.ServerResponse>();
  const state = { exchanges: [] as RecordedExchange[] };
  const server = http.createServer((req, res) => {
    const exchange: RecordedExchange = {
      method: req.method ?? "",
      url: new URL(req.url ?? "/", "http://s3"),
      headers: req.headers,
      status: 0,
      responseHeaders: {},
      start: performance.now(),
    };
    state.exchanges.push(exchange);
    const done = () => {
      exchange.end ??= performance.now();
    };
    res.on("finish", done);
    res.on("close", () => {
      done();
      stalled.delete(res);
    });
    if (failures.count > 0) {
      failures.count--;
      if (failures.how === "stall") {
        req.pause();
        stalled.add(res);
        return;
      }
      req.resume();
      exchange.status = 503;
      res.writeHead(503, { "content-type": "application/xml" });
      res.end("<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
      return;
    }
    const upstream = http.request(
      { host: "127.0.0.1", port: proxy.upstreamPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        exchange.status = answer.statusCode ?? 0;
        exchange.responseHeaders = answer.headers;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const proxy: RecordingProxy = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    upstreamPort: 0,
    get exchanges() {
      return state.exchanges;
    },
    get maxInFlight() {
      const events = state.exchanges.flatMap((e) => [
        { at: e.start, step: 1 },
        { at: e.end ?? Number.POSITIVE_INFINITY, step: -1 },
      ]);
      // Ends before starts at the same instant: back-to-back requests do not overlap.
      events.sort((a, b) => a.at - b.at || a.step - b.step);
      let now = 0;
      let most = 0;
      for (const { step } of events) {
        now += step;
        most = Math.max(most, now);
      }
      return most;
    },
    failNext(count, how) {
      failures = { count, how };
    },
    reset() {
      state.exchanges = [];
      failures = { count: 0, how: "503" };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of stalled) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}
