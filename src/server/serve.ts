import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { Access } from "./access.js";
import { Audit } from "./audit.js";
import { credentialsAuthenticator, noAuthentication } from "./auth/authenticate.js";
import { buildHandler } from "./build-server.js";
import { ConfigError, type ServerConfig, type ShutdownSettings } from "./config.js";
import { DEV_CREDENTIALS, type DevS3, startDevS3 } from "./dev-s3.js";
import type { HandleStore } from "./handles/handle-store.js";
import { describeHandleStore } from "./handles/handle-store-setting.js";
import { Handles } from "./handles/handles.js";
import { openHandleStore } from "./handles/open-handle-store.js";
import { HandleSealer } from "./handles/sealed-handles.js";
import { HealthState } from "./health.js";
import { JweSealer } from "./jwe-sealer.js";
import { createDualServer, createTlsServer } from "./listen.js";
import { listenFailure } from "./listen-failure.js";
import { measuredHandleStore } from "./metrics/measured-handle-store.js";
import type { Metrics } from "./metrics/metrics.js";
import { METRICS_PATH } from "./metrics/metrics-endpoint.js";
import { type MetricsListener, startMetricsListener } from "./metrics/metrics-listener.js";
import { PolicyHolder } from "./policy-holder.js";
import { createS3Backend } from "./s3-backend.js";
import { Signing } from "./signing.js";
import { loadTlsMaterial } from "./tls-material.js";
import { UploadTokens } from "./uploads/upload-tokens.js";

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

/** Internal switches, not settings: tests use them to compare code paths. */
export interface StartOptions {
  /** false: unary gRPC through connect-es's adapter too (see grpc-unary.ts). */
  readonly grpcFastPath?: boolean;
}

/** Starts presignd: S3 backend first (fail fast on bad config), then the port. */
export async function startServer(
  config: ServerConfig,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningServer> {
  let devS3: DevS3 | undefined;
  let store: HandleStore | undefined;
  let effective = config;
  if (config.dev) {
    devS3 = await startDevS3({
      dataDir: config.dev.dataDir,
      host: config.dev.s3Host,
      port: config.dev.s3Port,
      buckets: config.buckets,
    });
    effective = { ...config, endpoint: devS3.endpoint };
    logger.warn(
      { s3: devS3.endpoint, data: config.dev.dataDir, buckets: config.buckets },
      "DEVELOPMENT MODE: embedded local S3 with fixed dev credentials and no caller authentication; not for production",
    );
  }
  try {
    // prom-client is loaded only when metrics are served (~0.2 s of start-up otherwise).
    const metrics: Metrics | undefined = config.metrics
      ? new (await import("./metrics/metrics.js")).Metrics(new Set(config.buckets))
      : undefined;
    const backend = await createS3Backend(effective, logger, {
      ...(config.dev ? { credentials: DEV_CREDENTIALS } : {}),
      ...(metrics ? { observer: metrics } : {}),
    });
    const signing = new Signing(
      backend,
      { defaultSeconds: config.defaultTtlSeconds, maxSeconds: config.maxTtlSeconds, credentialSkewSeconds: 300 },
      logger,
    );
    const policy = config.policyFile ? await PolicyHolder.load(config.policyFile, logger) : undefined;
    if (!policy)
      logger.warn("NO CALLER AUTHENTICATION (development mode without --policy): every caller may sign anything");
    const access = new Access(() => policy?.current.file, new Audit(logger, config.logKeys), metrics);
    const authenticator = policy ? credentialsAuthenticator(() => policy.current) : noAuthentication;
    // Without handles.keys in a policy: a key of this process only. Sealed
    // handles then exist only in development mode; upload tokens always.
    const ephemeral = JweSealer.ephemeral();
    if (policy && !policy.current.sealer)
      logger.warn(
        "no handles.keys in the policy: multipart upload tokens are valid on this instance only, until it restarts",
      );
    const sealer = () => policy?.current.sealer ?? ephemeral;
    store = config.handleStore ? await openStore(config.handleStore, logger) : undefined;
    if (store && metrics) store = measuredHandleStore(store, metrics);
    const handles = new Handles(() => {
      const keys = policy ? policy.current.sealer : ephemeral;
      return keys && new HandleSealer(keys);
    }, store);
    const stopPurge = store ? purgeExpiredHandles(store, logger) : () => {};
    const handleStore = store;
    const health = new HealthState(
      backend,
      logger,
      handleStore ? [{ name: `${handleStore.engine} handle store`, ping: () => handleStore.ping() }] : [],
    );
    metrics?.observe({
      ready: async () => (await health.current()).state === "SERVING",
      credentialsExpiration: async () => (await backend.credentials()).expiration,
    });
    const handler = buildHandler({
      signing,
      access,
      handles,
      uploads: new UploadTokens(sealer),
      postMaxSize: config.postMaxSize,
      createMultipartUpload: (upload, signal) => backend.createMultipartUpload(upload, signal),
      authenticator,
      health,
      logger,
      logKeys: config.logKeys,
      ...(config.trustedProxies ? { trustedProxies: config.trustedProxies } : {}),
      ...(options.grpcFastPath === undefined ? {} : { grpcFastPath: options.grpcFastPath }),
      ...(metrics ? { metrics, metricsOnMainPort: config.metrics === "main-port" } : {}),
      ...(config.cors ? { cors: config.cors } : {}),
      ...(config.dev ? { devPage: true } : {}),
    });
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
        stopPurge();
        backend.close();
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
        await dual.close(timeoutMs);
        // After the main port: the last scrapes still see the drain.
        await metricsListener?.close();
        stopPurge();
        await store?.close();
        backend.close();
        await devS3?.close();
      },
    };
  } catch (error) {
    await store?.close();
    await devS3?.close();
    throw error;
  }
}

async function openStore(setting: NonNullable<ServerConfig["handleStore"]>, logger: Logger): Promise<HandleStore> {
  try {
    const store = await openHandleStore(setting);
    logger.info({ handle_store: describeHandleStore(setting) }, "handle store ready (schema migrated)");
    return store;
  } catch (error) {
    throw new ConfigError(
      `--handle-store (PRESIGND_HANDLE_STORE): cannot open ${describeHandleStore(setting)}: ${(error as Error).message}`,
    );
  }
}

/** Expired handles are refused at once; their rows are deleted a day later, hourly. */
function purgeExpiredHandles(store: HandleStore, logger: Logger): () => void {
  const timer = setInterval(() => {
    store.purgeExpired(new Date(Date.now() - 86_400_000)).then(
      (count) => count > 0 && logger.info({ purged: count }, "purged expired handles"),
      (error: unknown) => logger.warn({ err: (error as Error).message }, "purging expired handles failed"),
    );
  }, 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
