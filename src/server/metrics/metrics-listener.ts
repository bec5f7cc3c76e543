import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { METRICS_ADDR } from "../config/config.js";
import type { ConnectionLimits } from "../transport/connection-limits.js";
import { createDualServer } from "../transport/listen.js";
import { listenFailure } from "../transport/listen-failure.js";
import type { Metrics } from "./metrics.js";
import { METRICS_PATH, metricsListenerHandler } from "./metrics-endpoint.js";

export interface MetricsListener {
  /** Where Prometheus scrapes, e.g. http://127.0.0.1:9090/metrics */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The metrics on a listener of their own (--metrics-addr), so that they need
 * not sit on the public port: cleartext HTTP/1.1 (and h2c), unauthenticated,
 * only /metrics.
 */
export async function startMetricsListener(
  metrics: Metrics,
  logger: Logger,
  address: { host: string; port: number },
  limits: ConnectionLimits,
): Promise<MetricsListener> {
  // The same connection limits as the main port: it is still a port.
  const dual = createDualServer(metricsListenerHandler(metrics, logger), { limits, logger });
  await new Promise<void>((resolve, reject) => {
    const refused = (error: Error) =>
      reject(listenFailure(error, METRICS_ADDR, "--metrics-addr", `${address.host}:${address.port}`));
    dual.server.once("error", refused);
    dual.server.listen(address.port, address.host, () => {
      dual.server.off("error", refused);
      resolve();
    });
  });
  const bound = dual.server.address() as AddressInfo;
  const host = bound.address.includes(":") ? `[${bound.address}]` : bound.address;
  const url = `http://${host}:${bound.port}${METRICS_PATH}`;
  logger.info({ metrics: url }, "metrics listening");
  return { url, close: () => dual.close(1000) };
}
