import { type NodeResponse, writeJson } from "../transport/node-http.js";
import type { HealthState } from "./health-state.js";

/**
 * Plain HTTP probes for load balancers and Kubernetes: /healthz (the process
 * answers) and /readyz (credentials load and every bucket answers, not
 * shutting down: 200; otherwise 503 with the reason).
 */
// Probe answers describe this instant only.
const NO_STORE = { "cache-control": "no-store" };

export function healthEndpoints(health: HealthState) {
  return (path: "/healthz" | "/readyz", res: NodeResponse): void => {
    if (path === "/healthz") {
      writeJson(res, 200, { status: "ok" }, NO_STORE);
      return;
    }
    health.current().then(
      ({ state, reason }) => writeJson(res, state === "SERVING" ? 200 : 503, { status: state, reason }, NO_STORE),
      () => writeJson(res, 503, { status: "NOT_SERVING", reason: "health probe failed" }, NO_STORE),
    );
  };
}
