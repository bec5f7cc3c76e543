import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { ConfigError, METRICS_ADDR } from "../config.js";
import { createDualServer } from "../listen.js";
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
): Promise<MetricsListener> {
  const dual = createDualServer(metricsListenerHandler(metrics, logger));
  await new Promise<void>((resolve, reject) => {
    const refused = (error: Error) =>
      reject(new ConfigError(`${METRICS_ADDR}: cannot listen on ${address.host}:${address.port}: ${error.message}`));
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
