// Bench only: the comparison server of bench/rpc.ts. @grpc/grpc-js serving
// presign.v1.PresignService/GetObject and grpc.health.v1.Health/Check with
// presignd's own handler, composed by createApp as `presignd serve --dev` is:
// the same route functions, the same interceptors (logging, error mapping,
// authentication, validation) run by connect-es's invokeUnaryImplementation,
// the same Signing/Access/Audit and the same pino logger to stdout. Only the
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
import { createApp } from "../src/server/app.js";
import { parseServeOptions } from "../src/server/config/config.js";
import { createLogger } from "../src/server/logging/logger.js";
import { DEV_CREDENTIALS, startDevS3 } from "../src/server/s3/dev-s3.js";

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
// presignd's own composition: the same services and interceptors `serve --dev` runs (only the port is not used).
const app = await createApp({ config, logger, s3Endpoint: devS3.endpoint, s3Credentials: DEV_CREDENTIALS });
const { interceptors } = app;

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

const getObjectSpec = createMethodImplSpec(PresignService.method.getObject, app.services.presign.getObject);
const checkSpec = createMethodImplSpec(Health.method.check, app.services.health.check);
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
  void app.close();
  void devS3.close().then(() => process.exit(0));
});
