import type { ConnectRouter, Interceptor, ServiceImpl } from "@connectrpc/connect";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { createValidateInterceptor } from "@connectrpc/validate";
import type { Logger } from "pino";
import type { SigningCredentials } from "../core/signer.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { PresignService } from "../gen/presign/v1/presign_pb.js";
import { Access } from "./access/access.js";
import { Audit } from "./access/audit.js";
import { PolicyHolder } from "./access/policy-holder.js";
import { type Authenticator, credentialsAuthenticator, noAuthentication } from "./auth/authenticate.js";
import { credentialContextValues } from "./auth/presented-credentials.js";
import { ConfigError, type KeyLogging, type ServerConfig } from "./config/config.js";
import type { HandleStore } from "./handles/handle-store.js";
import { describeHandleStore } from "./handles/handle-store-setting.js";
import { Handles } from "./handles/handles.js";
import { openHandleStore } from "./handles/open-handle-store.js";
import { healthService } from "./health/health-service.js";
import { HealthState } from "./health/health-state.js";
import { healthEndpoints } from "./health/probes.js";
import { withCors } from "./http/cors.js";
import { devPage, isDevPageRequest } from "./http/dev-page.js";
import { REST_PREFIX, restPresign } from "./http/rest-presign.js";
import { isNotificationRequest, notificationEndpoint } from "./http/s3-notification-endpoint.js";
import { measuredHandleStore } from "./metrics/measured-handle-store.js";
import type { Metrics } from "./metrics/metrics.js";
import { isMetricsRequest, metricsEndpoint } from "./metrics/metrics-endpoint.js";
import { authentication } from "./pipeline/authentication.js";
import { errorMapping } from "./pipeline/error-map.js";
import {
  batchDeleteObject,
  batchGetObject,
  batchHeadObject,
  batchPutObject,
} from "./pipeline/handlers/batch-routes.js";
import { confirmUpload } from "./pipeline/handlers/confirm-route.js";
import { createHandle, revokeHandle } from "./pipeline/handlers/handle-route.js";
import { listObjects } from "./pipeline/handlers/list-route.js";
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listParts,
  presignUploadParts,
} from "./pipeline/handlers/multipart-routes.js";
import { deleteObject, getObject, headObject, putObject } from "./pipeline/handlers/object-routes.js";
import { postPolicy } from "./pipeline/handlers/post-policy-route.js";
import { reflectionService } from "./pipeline/handlers/reflection-routes.js";
import type { RouteDeps } from "./pipeline/handlers/route-deps.js";
import { watchUploads } from "./pipeline/handlers/watch-route.js";
import { rpcLogging } from "./pipeline/rpc-logging.js";
import { rpcMetrics, UNKNOWN_METHOD } from "./pipeline/rpc-metrics.js";
import { calledAs, protocolOf } from "./pipeline/rpc-protocol.js";
import { validUtf8 } from "./pipeline/valid-utf8.js";
import { createS3Backend, type S3Backend } from "./s3/s3-backend.js";
import { Signing } from "./s3/signing.js";
import { JweSealer } from "./tokens/jwe-sealer.js";
import { HandleSealer } from "./tokens/sealed-handles.js";
import { UploadTokens } from "./tokens/upload-tokens.js";
import type { Tracing } from "./tracing/tracing.js";
import { withConnectParseErrors } from "./transport/connect-patches/connect-parse-errors.js";
import { acceptCompression } from "./transport/connect-patches/decompression.js";
import { withSpecGrpcMessage } from "./transport/connect-patches/grpc-message.js";
import { strictJsonOptions } from "./transport/connect-patches/json-utf8.js";
import { decodeProtobufStringsStrictly } from "./transport/connect-patches/protobuf-utf8.js";
import { unaryFastPath, unaryInvoker } from "./transport/connect-patches/unary-fast-path.js";
import { type NodeHandler, type NodeResponse, writeJson } from "./transport/node-http.js";
import { startMultipartReaper } from "./uploads/multipart-reaper.js";
import { type NotificationRecord, receiveNotification } from "./uploads/s3-notifications.js";
import { UploadFeed } from "./uploads/upload-feed.js";
import { startUploadPoller } from "./uploads/upload-poller.js";
import type { WebhookDeliverer, WebhookTiming } from "./uploads/webhook-deliverer.js";

/** Requests are small; anything larger is refused with resource_exhausted. */
export const MAX_REQUEST_BYTES = 256 * 1024;

/** How long a signed credential may be older than the clock says (SigV4's allowance), in seconds. */
const CREDENTIAL_SKEW_SECONDS = 300;

/** Services listed by reflection and reported on by health checks. */
export const SERVICES = [PresignService, Health, ReflectionV1, ReflectionV1alpha];

/** What the app is composed from: the validated config and what the process provides. */
export interface AppDeps {
  readonly config: ServerConfig;
  readonly logger: Logger;
  /** The S3 endpoint to sign for instead of the config's (the embedded S3 of --dev). */
  readonly s3Endpoint?: string;
  /** Fixed S3 credentials instead of the SDK's chain (the embedded S3's). */
  readonly s3Credentials?: SigningCredentials;
  /**
   * The Node handler in front of the RPC routes: connect-node's adapter with
   * the options given. Default: the adapter behind the unary fast path for
   * gRPC and Connect (transport/connect-patches/unary-fast-path.ts).
   */
  readonly rpcAdapter?: (options: ConnectNodeAdapterOptions) => NodeHandler;
  /** OpenTelemetry tracing, when the environment turned it on (tracing/tracing.ts): a span per RPC. */
  readonly tracing?: Tracing;
  /** The webhook deliverer's delays, timeout and lease instead of WEBHOOK_TIMING's (tests: a short base delay). */
  readonly webhookTiming?: Partial<WebhookTiming>;
}

/** presignd, composed: the one place that wires config to code. */
export interface App {
  /** Every route of the port: RPCs (all protocols), the REST shape, probes (and /metrics when asked). */
  readonly handler: NodeHandler;
  /** The RPC implementations, as registered on the router. */
  readonly services: {
    readonly presign: ServiceImpl<typeof PresignService>;
    readonly health: ServiceImpl<typeof Health>;
  };
  /** What every RPC runs through, in this order, whatever the protocol. */
  readonly interceptors: Interceptor[];
  readonly health: HealthState;
  readonly backend: S3Backend;
  readonly metrics?: Metrics;
  readonly policy?: PolicyHolder;
  /**
   * Ends every WatchUploads stream (at shutdown, before the port closes): its
   * watcher reconnects, with its cursor, to an instance that serves.
   */
  endStreams(): void;
  /** Releases what the app holds (handle store, purge timer, S3 clients); the port is the caller's. */
  close(): Promise<void>;
}

/** Composes presignd from its config: S3 backend first (fail fast on bad config), then the rest. */
export async function createApp(deps: AppDeps): Promise<App> {
  const { config, logger } = deps;
  // prom-client is loaded only when metrics are served (~0.2 s of start-up otherwise).
  const metrics: Metrics | undefined = config.metrics
    ? new (await import("./metrics/metrics.js")).Metrics(new Set(config.buckets))
    : undefined;
  const backend = await createS3Backend(deps.s3Endpoint ? { ...config, endpoint: deps.s3Endpoint } : config, logger, {
    ...(deps.s3Credentials ? { credentials: deps.s3Credentials } : {}),
    ...(metrics ? { observer: metrics } : {}),
  });
  let store: HandleStore | undefined;
  try {
    const signing = new Signing(
      backend,
      {
        defaultSeconds: config.defaultTtlSeconds,
        maxSeconds: config.maxTtlSeconds,
        credentialSkewSeconds: CREDENTIAL_SKEW_SECONDS,
      },
      logger,
    );
    const policy = config.policyFile
      ? await PolicyHolder.load({ path: config.policyFile, inline: config.policyInline === true }, logger)
      : undefined;
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
    const feed = handleStore ? new UploadFeed(handleStore.uploads, metrics) : undefined;
    const stopPoller =
      feed && config.watchPollIntervalMs > 0
        ? startUploadPoller(
            feed,
            (bucket, key) => backend.headObject(bucket, key),
            logger,
            config.watchPollIntervalMs,
            {
              // Webhooks want every landing, watched or not.
              always: config.webhook !== undefined,
            },
          )
        : async () => {};
    let webhooks: WebhookDeliverer | undefined;
    if (handleStore && config.webhook) {
      // standardwebhooks is loaded only when webhooks are on.
      const { WebhookDeliverer } = await import("./uploads/webhook-deliverer.js");
      webhooks = new WebhookDeliverer({
        settings: config.webhook,
        ledger: handleStore.uploads,
        cursor: handleStore.webhooks,
        logger,
        observer: metrics,
        timing: deps.webhookTiming,
      });
      try {
        await webhooks.start();
      } catch (error) {
        await stopPoller();
        throw error;
      }
      logger.info(
        { webhook_host: new URL(config.webhook.url).host, webhook_prefix: config.webhook.prefix },
        "webhooks on: each upload that lands is POSTed, signed",
      );
    }
    const stopWebhooks = async () => webhooks?.stop();
    const stopReaper =
      handleStore && config.reapIntervalMs > 0
        ? startMultipartReaper(
            {
              ledger: handleStore.uploads,
              abort: (upload) => backend.abortMultipartUpload(upload),
              head: (bucket, key) => backend.headObject(bucket, key),
              logger,
              events: metrics,
            },
            config.reapIntervalMs,
          )
        : async () => {};
    const health = new HealthState(
      backend,
      logger,
      handleStore ? [{ name: `${handleStore.engine} handle store`, ping: () => handleStore.ping() }] : [],
    );
    metrics?.observe({
      ready: async () => (await health.current()).state === "SERVING",
      credentialsExpiration: async () => (await backend.credentials()).expiration,
    });
    const routeDeps: RouteDeps = {
      signing,
      access,
      handles,
      uploads: new UploadTokens(sealer),
      postMaxSize: config.postMaxSize,
      createMultipartUpload: (upload, signal) => backend.createMultipartUpload(upload, signal),
      headObject: (bucket, key, signal) => backend.headObject(bucket, key, signal),
      abortMultipartUpload: (upload) => backend.abortMultipartUpload(upload),
      ledger: store?.uploads,
      feed,
      uploadEvents: metrics,
    };
    const services = {
      presign: presignService(routeDeps),
      health: healthService(health, [PresignService.typeName]),
    };
    const interceptors = [
      ...(deps.tracing ? [deps.tracing.interceptor] : []),
      ...rpcInterceptors({ authenticator, logger, logKeys: config.logKeys, metrics }),
    ];
    if (config.notificationSecret && !feed)
      logger.warn(
        "--notification-secret without --handle-store: /s3-notifications answers 404, there is no record of signed uploads to match",
      );
    const notifications =
      config.notificationSecret === undefined
        ? undefined
        : notificationEndpoint({
            secret: config.notificationSecret,
            receive:
              feed &&
              ((records: readonly NotificationRecord[]) =>
                receiveNotification(records, {
                  feed,
                  head: (bucket, key) => backend.headObject(bucket, key),
                  buckets: new Set(config.buckets),
                })),
            logger,
            ...(metrics ? { observer: metrics } : {}),
          });
    const handler = portHandler({
      routes: routesOf(services),
      notifications,
      interceptors,
      health,
      logger,
      config,
      metrics,
      rpcAdapter: deps.rpcAdapter ?? unaryFastPath,
    });
    return {
      handler,
      services,
      interceptors,
      health,
      backend,
      ...(metrics ? { metrics } : {}),
      ...(policy ? { policy } : {}),
      endStreams: () => feed?.close(),
      close: async () => {
        stopPurge();
        feed?.close();
        await Promise.all([stopReaper(), stopPoller(), stopWebhooks()]);
        await handleStore?.close();
        backend.close();
      },
    };
  } catch (error) {
    await store?.close();
    backend.close();
    throw error;
  }
}

function presignService(deps: RouteDeps): ServiceImpl<typeof PresignService> {
  return {
    getObject: getObject(deps),
    putObject: putObject(deps),
    postPolicy: postPolicy(deps),
    createHandle: createHandle(deps),
    revokeHandle: revokeHandle(deps),
    createMultipartUpload: createMultipartUpload(deps),
    presignUploadParts: presignUploadParts(deps),
    listParts: listParts(deps),
    completeMultipartUpload: completeMultipartUpload(deps),
    abortMultipartUpload: abortMultipartUpload(deps),
    batchGetObject: batchGetObject(deps),
    batchPutObject: batchPutObject(deps),
    headObject: headObject(deps),
    deleteObject: deleteObject(deps),
    listObjects: listObjects(deps),
    batchHeadObject: batchHeadObject(deps),
    batchDeleteObject: batchDeleteObject(deps),
    confirmUpload: confirmUpload(deps),
    watchUploads: watchUploads(deps),
  };
}

/** The RPC routes, shared by every protocol. */
function routesOf(services: App["services"]) {
  const reflection = reflectionService(SERVICES);
  return (router: ConnectRouter) =>
    router
      .service(PresignService, services.presign)
      .service(Health, services.health)
      .service(ReflectionV1, reflection)
      // v1alpha's messages are v1's under another package name: same code.
      .service(ReflectionV1alpha, reflection as unknown as ServiceImpl<typeof ReflectionV1alpha>);
}

/**
 * One Node request handler: Connect, gRPC and gRPC-Web for the RPCs, and the
 * classic REST shape under /presign/, all through the same interceptors.
 */
function portHandler(options: {
  routes: (router: ConnectRouter) => ConnectRouter;
  interceptors: Interceptor[];
  health: HealthState;
  logger: Logger;
  config: ServerConfig;
  metrics: Metrics | undefined;
  rpcAdapter: NonNullable<AppDeps["rpcAdapter"]>;
  /** POST /s3-notifications, when --notification-secret is set. */
  notifications: NodeHandler | undefined;
}): NodeHandler {
  const { routes, interceptors, config, metrics, logger, notifications } = options;
  // Bytes that are not UTF-8 are refused, never replaced (a protobuf-es global: once, here).
  decodeProtobufStringsStrictly();
  const adapterOptions: ConnectNodeAdapterOptions = {
    routes,
    interceptors,
    readMaxBytes: MAX_REQUEST_BYTES,
    acceptCompression,
    jsonOptions: strictJsonOptions,
    fallback: notFound(metrics),
    contextValues: credentialContextValues(config.trustedProxies),
  };
  const adapter = options.rpcAdapter(adapterOptions);
  // The REST shape runs the same interceptors and implementations, logged and counted as "rest".
  const rest = restPresign(
    unaryInvoker(adapterOptions, [calledAs("rest")]),
    credentialContextValues(config.trustedProxies),
  );
  const rpc = withConnectParseErrors(withSpecGrpcMessage(adapter), routes);
  const probes = healthEndpoints(options.health);
  const scrape = metrics && config.metrics === "main-port" && metricsEndpoint(metrics, logger);
  const handler: NodeHandler = (req, res) => {
    if (req.url === "/healthz" || req.url === "/readyz") {
      probes(req.url, res);
      return;
    }
    if (config.dev && isDevPageRequest(req)) {
      devPage(req, res);
      return;
    }
    if (scrape && isMetricsRequest(req)) {
      scrape(req, res);
      return;
    }
    if (notifications && isNotificationRequest(req)) {
      notifications(req, res);
      return;
    }
    if (req.url?.startsWith(REST_PREFIX)) {
      rest(req, res).catch((error: unknown) => {
        logger.error({ err: error }, "REST presign failed");
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    rpc(req, res);
  };
  // Outermost, so that every answer (errors of the fast path and patches included) carries the headers.
  return config.cors ? withCors(handler, config.cors) : handler;
}

/** What every RPC runs through, in this order, whatever the protocol. */
function rpcInterceptors(options: {
  authenticator: Authenticator;
  logger: Logger;
  logKeys: KeyLogging;
  metrics: Metrics | undefined;
}): Interceptor[] {
  return [
    rpcLogging(options.logger, options.logKeys),
    ...(options.metrics ? [rpcMetrics(options.metrics)] : []),
    errorMapping(options.logger),
    // Strings that are not UTF-8 (decoded as ill-formed strings, see connect-patches/), refused naming the field.
    validUtf8(),
    authentication(options.authenticator),
    // The limits annotated in the proto (buf.validate), before any handler runs.
    createValidateInterceptor(),
  ];
}

/** A path that names no RPC: 404, counted as one "unknown" method whatever the path. */
function notFound(metrics: Metrics | undefined): NonNullable<ConnectNodeAdapterOptions["fallback"]> {
  return (req, res) => {
    metrics?.rpc(UNKNOWN_METHOD, protocolOf(req.method, req.headers["content-type"]), "not_found");
    writeJson(res as NodeResponse, 404, {
      code: "not_found",
      message: `no route for ${req.method} ${req.url?.slice(0, 200)}`,
    });
  };
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

/**
 * Expired handles are refused at once; their rows are deleted a day later,
 * hourly, with the records of uploads signed that expired as long ago (open
 * multipart uploads are kept for the reaper).
 */
function purgeExpiredHandles(store: HandleStore, logger: Logger): () => void {
  const timer = setInterval(() => {
    const before = new Date(Date.now() - 86_400_000);
    Promise.all([store.purgeExpired(before), store.uploads.purge(before)]).then(
      ([handles, uploads]) =>
        handles + uploads > 0 && logger.info({ purged: handles, uploads }, "purged expired handles"),
      (error: unknown) => logger.warn({ err: (error as Error).message }, "purging expired handles failed"),
    );
  }, 3_600_000);
  timer.unref();
  return () => clearInterval(timer);
}
