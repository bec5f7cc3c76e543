import type { Logger } from "pino";
import { type NodeRequest, type NodeResponse, writeJson } from "../transport/node-http.js";
import type { Metrics } from "./metrics.js";

/** Where Prometheus scrapes, on the metrics listener (and on the main port in --dev). */
export const METRICS_PATH = "/metrics";

/** Whether a request is for the metrics path (any query string is ignored, as Prometheus sends none). */
export function isMetricsRequest(req: NodeRequest): boolean {
  const url = req.url ?? "";
  return url === METRICS_PATH || url.startsWith(`${METRICS_PATH}?`);
}

/** Answers GET/HEAD /metrics with the text exposition format. */
export function metricsEndpoint(metrics: Metrics, logger: Logger) {
  return (req: NodeRequest, res: NodeResponse): void => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      writeJson(
        res,
        405,
        { code: "unimplemented", message: `${req.method} is not supported; use GET` },
        { allow: "GET" },
      );
      return;
    }
    metrics.exposition().then(
      ({ text, contentType }) => {
        res.writeHead(200, {
          "content-type": contentType,
          "content-length": Buffer.byteLength(text),
          "cache-control": "no-store",
        });
        if (req.method === "HEAD") res.end();
        else res.end(text);
      },
      (error: unknown) => {
        logger.error({ err: error }, "collecting metrics failed");
        writeJson(res, 500, { code: "internal", message: "collecting metrics failed (logged on the server)" });
      },
    );
  };
}

/** The metrics listener's handler: /metrics, and 404 for every other path. */
export function metricsListenerHandler(metrics: Metrics, logger: Logger) {
  const endpoint = metricsEndpoint(metrics, logger);
  return (req: NodeRequest, res: NodeResponse): void => {
    if (isMetricsRequest(req)) endpoint(req, res);
    else writeJson(res, 404, { code: "not_found", message: `this listener serves only ${METRICS_PATH}` });
  };
}
