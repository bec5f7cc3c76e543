import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { type App, type AppDeps, createApp } from "./app.js";
import type { ServerConfig, ShutdownSettings } from "./config/config.js";
import { METRICS_PATH } from "./metrics/metrics-endpoint.js";
import { type MetricsListener, startMetricsListener } from "./metrics/metrics-listener.js";
import { DEV_CREDENTIALS, type DevS3, startDevS3 } from "./s3/dev-s3.js";
import { createDualServer, createTlsServer } from "./transport/listen.js";
import { listenFailure } from "./transport/listen-failure.js";
import { loadTlsMaterial } from "./transport/tls-material.js";

export interface RunningServer {
  /** Base URL of the RPC server, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly port: number;
  /** The embedded S3 endpoint in development mode. */
  readonly devS3Endpoint?: string;
  /** Where Prometheus scrapes (the --metrics-addr listener, or the main port in --dev), when metrics are served. */
  readonly metricsUrl?: string;
  /** Re-reads the policy file (SIGHUP); keeps the old one when the new one is invalid. */
  readonly reloadPolicy?: () => Promise<void>;
  /**
   * Graceful stop (see README "Graceful shutdown"): health NOT_SERVING at once,
   * serving on for `drainDelayMs`, then the port closed (HTTP/2 GOAWAY) and
   * in-flight requests given up to `timeoutMs` before their connections are cut;
   * then everything is released. Defaults: the config's --drain-delay and
   * --shutdown-timeout.
   */
  close(options?: Partial<ShutdownSettings>): Promise<void>;
}

/** Starts presignd: the embedded S3 in --dev, the app (S3 backend first: fail fast on bad config), then the port. */
export async function startServer(
  config: ServerConfig,
  logger: Logger,
  overrides: Pick<AppDeps, "rpcAdapter" | "tracing" | "webhookTiming"> = {},
): Promise<RunningServer> {
  let devS3: DevS3 | undefined;
  let app: App | undefined;
  if (config.dev) {
    devS3 = await startDevS3({
      dataDir: config.dev.dataDir,
      host: config.dev.s3Host,
      port: config.dev.s3Port,
      buckets: config.buckets,
    });
    logger.warn(
      { s3: devS3.endpoint, data: config.dev.dataDir, buckets: config.buckets },
      "DEVELOPMENT MODE: embedded local S3 with fixed dev credentials and no caller authentication; not for production",
    );
  }
  try {
    app = await createApp({
      config,
      logger,
      ...(devS3 ? { s3Endpoint: devS3.endpoint, s3Credentials: DEV_CREDENTIALS } : {}),
      ...overrides,
    });
    const { handler, health, backend, metrics, policy } = app;
    const listen = { limits: config.limits, logger };
    const dual = config.tls
      ? createTlsServer(handler, await loadTlsMaterial(config.tls), listen)
      : createDualServer(handler, listen);
    await new Promise<void>((resolve, reject) => {
      const fail = (error: unknown) =>
        reject(listenFailure(error, "--addr (PRESIGND_ADDR)", "-a/--addr", `${config.host}:${config.port}`));
      dual.server.once("error", fail);
      dual.server.listen(config.port, config.host, () => {
        dual.server.off("error", fail);
        resolve();
      });
    });
    warnAboutStores(config, logger);
    // In the background: a missing bucket or unloadable credentials are
    // warned about at start, without holding the port back for S3.
    void health.checkAtStart();
    const address = dual.server.address() as AddressInfo;
    const host = address.address.includes(":") ? `[${address.address}]` : address.address;
    const url = `${config.tls ? "https" : "http"}://${host}:${address.port}`;
    let metricsListener: MetricsListener | undefined;
    if (metrics && typeof config.metrics === "object") {
      try {
        metricsListener = await startMetricsListener(metrics, logger, config.metrics, config.limits);
      } catch (error) {
        await dual.close();
        throw error;
      }
    }
    const metricsUrl = metricsListener?.url ?? (metrics ? `${url}${METRICS_PATH}` : undefined);
    logger.info(
      {
        url,
        buckets: [...backend.buckets.values()].map((b) => ({
          bucket: b.bucket,
          region: b.region,
          host: b.hostname,
          port: b.port,
          provider: config.stores.get(b.bucket)?.profile.provider,
          provider_from: config.stores.get(b.bucket)?.source,
        })),
        protocols: ["connect", "grpc", "grpc-web"],
      },
      config.tls
        ? `presignd listening (TLS: HTTP/2 and HTTP/1.1${config.tls.clientCaFile ? ", client certificates accepted" : ""})`
        : "presignd listening (HTTP/1.1 and h2c)",
    );
    return {
      url,
      port: address.port,
      ...(devS3 ? { devS3Endpoint: devS3.endpoint } : {}),
      ...(metricsUrl ? { metricsUrl } : {}),
      ...(policy ? { reloadPolicy: () => policy.reload() } : {}),
      close: async (options = {}) => {
        const { drainDelayMs, timeoutMs } = { ...config.shutdown, ...options };
        health.shutdown();
        if (drainDelayMs > 0) {
          logger.info(
            { drain_delay_ms: drainDelayMs },
            "draining: NOT_SERVING, still serving until the drain delay ends",
          );
          await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
        }
        logger.info({ shutdown_timeout_ms: timeoutMs }, "closing the port; in-flight requests may finish");
        // Streams never finish on their own: end them, so that the port closes without waiting for them.
        app?.endStreams();
        await dual.close(timeoutMs);
        // After the main port: the last scrapes still see the drain.
        await metricsListener?.close();
        await app?.close();
        await devS3?.close();
        // Last: the spans of the drained requests are exported.
        await overrides.tracing
          ?.shutdown()
          .catch((error: unknown) => logger.warn({ err: error }, "tracing: flush failed"));
      },
    };
  } catch (error) {
    await app?.close();
    await devS3?.close();
    throw error;
  }
}

/** What a bucket's store does that presignd cannot refuse for it: said once at start. */
function warnAboutStores(config: ServerConfig, logger: Logger): void {
  const said = new Set<string>();
  for (const [bucket, { profile, source }] of config.stores) {
    if (source === "detected" && !said.has("detected")) {
      said.add("detected");
      logger.info(
        { provider: profile.provider },
        `store: ${profile.describe}, detected from the --endpoint host (--provider overrides)`,
      );
    }
    const warnings = [
      profile.startWarning,
      config.publicEndpoint || config.dev ? undefined : profile.withoutPublicEndpoint,
    ];
    for (const warning of warnings) {
      if (warning && !said.has(warning)) logger.warn({ bucket, provider: profile.provider }, warning);
      if (warning) said.add(warning);
    }
  }
}
