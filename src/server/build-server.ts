import {
  type ConnectRouter,
  createClient,
  createRouterTransport,
  type Interceptor,
  type ServiceImpl,
} from "@connectrpc/connect";
import type { ConnectNodeAdapterOptions } from "@connectrpc/connect-node";
import { createValidateInterceptor } from "@connectrpc/validate";
import type { Logger } from "pino";
import type { NetworkSet } from "../core/policy/policy.js";
import { Health } from "../gen/grpc/health/v1/health_pb.js";
import { ServerReflection as ReflectionV1 } from "../gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as ReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.js";
import { PresignService } from "../gen/presign/v1/presign_pb.js";
import { type Authenticator, authentication } from "./auth/authenticate.js";
import { callerCredentials } from "./auth/in-process-caller.js";
import { credentialContextValues, presentedCredentials } from "./auth/presented-credentials.js";
import type { KeyLogging } from "./config.js";
import { withConnectParseErrors } from "./connect-patches/connect-parse-errors.js";
import { acceptCompression } from "./connect-patches/decompression.js";
import { strictJsonOptions } from "./connect-patches/json-utf8.js";
import { decodeProtobufStringsStrictly } from "./connect-patches/protobuf-utf8.js";
import { type CorsSetting, withCors } from "./cors.js";
import { errorMapping } from "./error-map.js";
import { withSpecGrpcMessage } from "./grpc-message.js";
import { grpcUnaryAdapter } from "./grpc-unary.js";
import type { HealthState } from "./health.js";
import { rpcLogging } from "./interceptors/logging.js";
import { rpcMetrics, UNKNOWN_METHOD } from "./interceptors/rpc-metrics.js";
import { calledAs, protocolOf } from "./interceptors/rpc-protocol.js";
import { validUtf8 } from "./interceptors/valid-utf8.js";
import type { Metrics } from "./metrics/metrics.js";
import { isMetricsRequest, metricsEndpoint } from "./metrics/metrics-endpoint.js";
import { type NodeHandler, type NodeResponse, writeJson } from "./node-http.js";
import { batchGetObject, batchPutObject } from "./routes/batch-routes.js";
import { devPage, isDevPageRequest } from "./routes/dev-page.js";
import { createHandle, revokeHandle } from "./routes/handle-route.js";
import { healthEndpoints } from "./routes/health-endpoints.js";
import { healthService } from "./routes/health-routes.js";
import {
  abortMultipartUpload,
  completeMultipartUpload,
  createMultipartUpload,
  listParts,
  presignUploadParts,
} from "./routes/multipart-routes.js";
import { getObject, putObject } from "./routes/object-routes.js";
import { postPolicy } from "./routes/post-policy-route.js";
import { reflectionService } from "./routes/reflection-routes.js";
import { REST_PREFIX, restPresign } from "./routes/rest-presign-route.js";
import type { RouteDeps } from "./routes/route-deps.js";

/** Requests are small; anything larger is refused with resource_exhausted. */
export const MAX_REQUEST_BYTES = 256 * 1024;

export interface HandlerOptions extends RouteDeps {
  readonly authenticator: Authenticator;
  readonly health: HealthState;
  readonly logger: Logger;
  readonly logKeys: KeyLogging;
  /** Proxies whose X-Forwarded-For names the caller's address (--trusted-proxies). */
  readonly trustedProxies?: NetworkSet;
  /** Unary gRPC calls on the short road of grpc-unary.ts (default); false: all through connect-es's adapter. */
  readonly grpcFastPath?: boolean;
  /** Counts RPCs (and everything else Metrics counts); none when metrics are not served. */
  readonly metrics?: Metrics;
  /** Also answer GET /metrics on this port (--dev without --metrics-addr). */
  readonly metricsOnMainPort?: boolean;
  /** Browser origins allowed (CORS headers on every route but gRPC); none: no CORS headers. */
  readonly cors?: CorsSetting;
  /** --dev: the upload/download page at "/" (routes/dev-page.ts). */
  readonly devPage?: boolean;
}

/** Services listed by reflection and reported on by health checks. */
export const SERVICES = [PresignService, Health, ReflectionV1, ReflectionV1alpha];

/** The RPC routes, shared by every protocol. */
export function presignRoutes(deps: RouteDeps, health: HealthState) {
  const reflection = reflectionService(SERVICES);
  return (router: ConnectRouter) =>
    router
      .service(PresignService, {
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
      })
      .service(Health, healthService(health, [PresignService.typeName]))
      .service(ReflectionV1, reflection)
      // v1alpha's messages are v1's under another package name: same code.
      .service(ReflectionV1alpha, reflection as unknown as ServiceImpl<typeof ReflectionV1alpha>);
}

/**
 * One Node request handler: Connect, gRPC and gRPC-Web for the RPCs, and the
 * classic REST shape under /presign/, all through the same interceptors.
 */
export function buildHandler(options: HandlerOptions): NodeHandler {
  // Bytes that are not UTF-8 are refused, never replaced (a protobuf-es global: once, here).
  decodeProtobufStringsStrictly();
  const routes = presignRoutes(options, options.health);
  const interceptors = rpcInterceptors(options);
  const adapter = grpcUnaryAdapter({
    routes,
    interceptors,
    readMaxBytes: MAX_REQUEST_BYTES,
    acceptCompression,
    jsonOptions: strictJsonOptions,
    fallback: notFound(options.metrics),
    contextValues: credentialContextValues(options.trustedProxies),
    fastPath: options.grpcFastPath ?? true,
  });
  const rest = restPresign(
    createClient(
      PresignService,
      createRouterTransport(routes, {
        router: { interceptors: [callerCredentials, calledAs("rest"), ...interceptors] },
      }),
    ),
    (req) => presentedCredentials(req, options.trustedProxies),
  );
  const rpc = withConnectParseErrors(withSpecGrpcMessage(adapter as NodeHandler), routes);
  const probes = healthEndpoints(options.health);
  const scrape = options.metrics && options.metricsOnMainPort && metricsEndpoint(options.metrics, options.logger);
  const handler: NodeHandler = (req, res) => {
    if (req.url === "/healthz" || req.url === "/readyz") {
      probes(req.url, res);
      return;
    }
    if (options.devPage && isDevPageRequest(req)) {
      devPage(req, res);
      return;
    }
    if (scrape && isMetricsRequest(req)) {
      scrape(req, res);
      return;
    }
    if (req.url?.startsWith(REST_PREFIX)) {
      rest(req, res).catch((error: unknown) => {
        options.logger.error({ err: error }, "REST presign failed");
        if (!res.headersSent) res.writeHead(500).end();
      });
      return;
    }
    rpc(req, res);
  };
  // Outermost, so that every answer (errors of the fast path and patches included) carries the headers.
  return options.cors ? withCors(handler, options.cors) : handler;
}

/** What every RPC runs through, in this order, whatever the protocol. */
export function rpcInterceptors(
  options: Pick<HandlerOptions, "authenticator" | "logger" | "logKeys" | "metrics">,
): Interceptor[] {
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
