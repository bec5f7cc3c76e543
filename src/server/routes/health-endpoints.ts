import type http from "node:http";
import type http2 from "node:http2";
import type { HealthState } from "../health.js";

/**
 * Plain HTTP probes for load balancers and Kubernetes: /healthz (the process
 * answers) and /readyz (credentials load and every bucket answers, not
 * shutting down: 200; otherwise 503 with the reason).
 */
export function healthEndpoints(health: HealthState) {
  return (path: "/healthz" | "/readyz", res: http.ServerResponse | http2.Http2ServerResponse): void => {
    if (path === "/healthz") {
      send(res, 200, { status: "ok" });
      return;
    }
    health.current().then(
      ({ state, reason }) => send(res, state === "SERVING" ? 200 : 503, { status: state, reason }),
      () => send(res, 503, { status: "NOT_SERVING", reason: "health probe failed" }),
    );
  };
}

function send(res: http.ServerResponse | http2.Http2ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
