// Bench only: the comparison server of bench/rpc.ts. @grpc/grpc-js serving
// presign.v1.PresignService/GetObject and grpc.health.v1.Health/Check with
// presignd's own handler: the same route functions, the same interceptors
// (logging, error mapping, authentication, validation) run by connect-es's
// invokeUnaryImplementation, the same Signing/Access/Audit and the same pino
// logger to stdout, set up as `presignd serve --dev` sets them up. Only the
// transport and the gRPC protocol code differ from presignd.
//   node --import tsx bench/grpc-js-server.ts DATA_DIR    (prints one JSON line with its url)
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createContextValues,
  createMethodImplSpec,
  type HandlerContext,
  type MethodImplSpec,
} from "@connectrpc/connect";
import { invokeUnaryImplementation } from "@connectrpc/connect/protocol";
import * as grpc from "@grpc/grpc-js";
import { Health } from "../src/gen/grpc/health/v1/health_pb.js";
import { PresignService } from "../src/gen/presign/v1/presign_pb.js";
import { Access } from "../src/server/access.js";
import { Audit } from "../src/server/audit.js";
import { noAuthentication } from "../src/server/auth/authenticate.js";
import { rpcInterceptors } from "../src/server/build-server.js";
import { parseServeOptions } from "../src/server/config.js";
import { DEV_CREDENTIALS, startDevS3 } from "../src/server/dev-s3.js";
import { Handles } from "../src/server/handles/handles.js";
import { HandleSealer } from "../src/server/handles/sealed-handles.js";
import { HealthState } from "../src/server/health.js";
import { JweSealer } from "../src/server/jwe-sealer.js";
import { createLogger } from "../src/server/logger.js";
import { healthService } from "../src/server/routes/health-routes.js";
import { getObject } from "../src/server/routes/object-routes.js";
import type { RouteDeps } from "../src/server/routes/route-deps.js";
import { createS3Backend } from "../src/server/s3-backend.js";
import { Signing } from "../src/server/signing.js";
import { UploadTokens } from "../src/server/uploads/upload-tokens.js";

const config = parseServeOptions({
  addr: "127.0.0.1:0",
  defaultTtl: "15m",
  maxTtl: "7d",
  logLevel: "info",
  logKeys: "hash",
  dev: true,
  devDataDir: process.argv[2] ?? ".presignd/bench-grpc-js",
  devS3Addr: "127.0.0.1:0",
});
const logger = createLogger(config.logLevel);
const dev = config.dev ?? process.exit(2);
const devS3 = await startDevS3({ dataDir: dev.dataDir, host: dev.s3Host, port: dev.s3Port, buckets: config.buckets });
const backend = await createS3Backend({ ...config, endpoint: devS3.endpoint }, logger, {
  credentials: DEV_CREDENTIALS,
});
const signing = new Signing(
  backend,
  { defaultSeconds: config.defaultTtlSeconds, maxSeconds: config.maxTtlSeconds, credentialSkewSeconds: 300 },
  logger,
);
const health = new HealthState(backend, logger);
const access = new Access(() => undefined, new Audit(logger, config.logKeys));
// GetObject by key only: the handle and multipart parts of the deps are never reached.
const sealer = JweSealer.ephemeral();
const deps: RouteDeps = {
  signing,
  access,
  handles: new Handles(() => new HandleSealer(sealer), undefined),
  uploads: new UploadTokens(() => sealer),
  postMaxSize: config.postMaxSize,
  createMultipartUpload: (upload, signal) => backend.createMultipartUpload(upload, signal),
};
const interceptors = rpcInterceptors({ authenticator: noAuthentication, logger, logKeys: config.logKeys });

/**
 * A grpc-js unary handler running presignd's implementation and interceptors,
 * with a handler context built as presignd's gRPC fast path builds it (one
 * AbortController: deadline, cancellation, completion).
 */
function unary(spec: MethodImplSpec): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const header = new Headers();
    for (const [key, value] of Object.entries(call.metadata.getMap())) header.append(key, String(value));
    const controller = new AbortController();
    const abort = (reason: unknown) => {
      if (!controller.signal.aborted) controller.abort(reason);
    };
    const deadline = call.getDeadline();
    const end = deadline instanceof Date ? deadline.getTime() : Number(deadline);
    const timer = Number.isFinite(end)
      ? setTimeout(() => abort(new ConnectError("the operation timed out", Code.DeadlineExceeded)), end - Date.now())
      : undefined;
    // grpc-js also reports a finished call as cancelled when its stream closes: no error built then.
    call.once("cancelled", () => {
      if (!controller.signal.aborted) abort(new ConnectError("cancelled", Code.Canceled));
    });
    const context: HandlerContext = {
      method: spec.method,
      service: spec.method.parent,
      signal: controller.signal,
      timeoutMs: () => (Number.isFinite(end) ? end - Date.now() : undefined),
      requestMethod: "POST",
      protocolName: "grpc",
      url: `http://127.0.0.1${call.getPath()}`,
      requestHeader: header,
      responseHeader: new Headers(),
      responseTrailer: new Headers(),
      values: createContextValues(),
    };
    invokeUnaryImplementation(spec as never, context, call.request as never, interceptors).then(
      (output) => {
        clearTimeout(timer);
        abort(COMPLETED);
        callback(null, output);
      },
      (error: unknown) => {
        clearTimeout(timer);
        abort(error);
        const e = ConnectError.from(error);
        callback({ code: e.code as number as grpc.status, details: e.rawMessage });
      },
    );
  };
}
const COMPLETED = new ConnectError("completed", Code.Canceled);

function definition(spec: MethodImplSpec): grpc.MethodDefinition<unknown, unknown> {
  const { input, output } = spec.method;
  return {
    path: `/${spec.method.parent.typeName}/${spec.method.name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (message) => Buffer.from(toBinary(input, message as never)),
    requestDeserialize: (bytes) => fromBinary(input, bytes),
    responseSerialize: (message) => Buffer.from(toBinary(output, message as never)),
    responseDeserialize: (bytes) => fromBinary(output, bytes),
  };
}

const getObjectSpec = createMethodImplSpec(PresignService.method.getObject, getObject(deps));
const checkSpec = createMethodImplSpec(Health.method.check, healthService(health, [PresignService.typeName]).check);
const server = new grpc.Server();
server.addService({ GetObject: definition(getObjectSpec) }, { GetObject: unary(getObjectSpec) });
server.addService({ Check: definition(checkSpec) }, { Check: unary(checkSpec) });
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
    error ? reject(error) : resolve(bound),
  ),
);
logger.info({ url: `http://127.0.0.1:${port}` }, "grpc-js comparison server listening");
process.once("SIGTERM", () => {
  server.forceShutdown();
  backend.close();
  void devS3.close().then(() => process.exit(0));
});
