import type http2 from "node:http2";
import type { DescMethodUnary, DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  createConnectRouter,
  createContextValues,
  createServiceImplSpec,
  type HandlerContext,
  type MethodImplSpec,
} from "@connectrpc/connect";
import {
  type Compression,
  compressionNegotiate,
  createAsyncIterable,
  createMethodSerializationLookup,
  envelopeCompress,
  invokeUnaryImplementation,
  type UniversalHandler,
  validateUniversalHandlerOptions,
} from "@connectrpc/connect/protocol";
import {
  contentTypeProto,
  grpcStatusOk,
  headerAcceptEncoding,
  headerContentType,
  headerEncoding,
  headerGrpcStatus,
  parseTimeout,
  setTrailerStatus,
} from "@connectrpc/connect/protocol-grpc";
import {
  type ConnectNodeAdapterOptions,
  compressionBrotli,
  compressionGzip,
  connectNodeAdapter,
  universalRequestFromNodeRequest,
  universalResponseToNodeResponse,
} from "@connectrpc/connect-node";
import type { NodeHandler, NodeRequest, NodeResponse } from "../node-http.js";

type UnarySpec = MethodImplSpec & { kind: "unary"; method: DescMethodUnary };
type NodeHeaders = Record<string, string | string[]>;

// One shared abort reason: on Node 20 `abort()` without a reason builds a new
// DOMException (with a stack) every time. Same name and message as that one.
const ABORTED = new DOMException("This operation was aborted", "AbortError");

/**
 * connectNodeAdapter with a shorter road for the most common gRPC request: a
 * unary call over HTTP/2 with an uncompressed, well-formed, single message.
 *
 * connect-es runs every gRPC call, unary or not, through its streaming
 * pipeline (a dozen chained async generators per request); this reads the one
 * length-prefixed message, runs the same interceptors and implementation
 * (connect-es's own `invokeUnaryImplementation`) with an equivalent handler
 * context, and writes the answer as the adapter does: headers, one data
 * frame, trailers with grpc-status/grpc-message. Everything else goes to the adapter untouched —
 * other protocols, streaming and unknown methods, compressed requests, HTTP/1.1
 * — and a body that is not exactly one acceptable message (too large, flagged
 * compressed, truncated, trailing bytes, not decodable, a broken stream) is
 * replayed into connect-es's own gRPC handler, so its refusals are the
 * adapter's to the byte.
 */
export function grpcUnaryAdapter(options: ConnectNodeAdapterOptions): NodeHandler {
  const adapterOptions = {
    ...options,
    acceptCompression: options.acceptCompression ?? [compressionGzip, compressionBrotli],
  };
  const adapter = connectNodeAdapter(adapterOptions) as NodeHandler;

  const opt = validateUniversalHandlerOptions(adapterOptions);
  const universal = new Map<string, UniversalHandler>();
  const unary = new Map<
    string,
    { spec: UnarySpec; serialization: ReturnType<typeof createMethodSerializationLookup> }
  >();
  const router = createConnectRouter(adapterOptions);
  adapterOptions.routes(
    collectUnary(router, (spec) =>
      unary.set(`/${spec.method.parent.typeName}/${spec.method.name}`, {
        spec,
        serialization: createMethodSerializationLookup(spec.method, opt.binaryOptions, opt.jsonOptions, opt),
      }),
    ),
  );
  for (const handler of router.handlers) universal.set(handler.requestPath, handler);
  const maxEnvelope = 5 + opt.readMaxBytes;

  /** connect-es's gRPC handler, reading `body` instead of the (partly read) request stream. */
  const replay = (req: NodeRequest, res: NodeResponse, body: AsyncIterable<Uint8Array>) => {
    const handler = universal.get(req.url ?? "") as UniversalHandler;
    // The third argument is a body already read; connect-node passes it through as the request body.
    const uReq = universalRequestFromNodeRequest(
      req,
      res,
      body as unknown as undefined,
      adapterOptions.contextValues?.(req),
    );
    handler(uReq)
      .then((uRes) => universalResponseToNodeResponse(uRes, res))
      .catch(() => {
        // Write errors: the client is gone (the adapter ignores these too, but for a console line).
      });
  };

  return (req, res) => {
    const target = req.httpVersionMajor === 2 && req.method === "POST" ? unary.get(req.url ?? "") : undefined;
    const type = req.headers["content-type"];
    const encoding = req.headers["grpc-encoding"];
    if (
      target === undefined ||
      (type !== "application/grpc" && type !== "application/grpc+proto") ||
      (encoding !== undefined && encoding !== "identity")
    ) {
      adapter(req, res);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const giveUp = (complete: boolean) => {
      stop();
      req.pause();
      replay(req, res, replayBody(chunks, complete ? undefined : req));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size > maxEnvelope) giveUp(false);
    };
    const onError = () => giveUp(false);
    const onEnd = () => {
      stop();
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      const length = body.byteLength >= 5 ? body.readUInt32BE(1) : -1;
      if (body.byteLength < 5 || body[0] !== 0 || length !== body.byteLength - 5 || length > opt.readMaxBytes) {
        giveUp(true);
        return;
      }
      let message: unknown;
      try {
        message = target.serialization.getI(true).parse(body.subarray(5));
      } catch {
        giveUp(true);
        return;
      }
      const timeout = parseTimeout((req.headers["grpc-timeout"] as string | undefined) ?? null, opt.maxTimeoutMs);
      if (timeout.error) {
        giveUp(true);
        return;
      }
      answer(
        req as http2.Http2ServerRequest,
        res as http2.Http2ServerResponse,
        target,
        message,
        timeout.timeoutMs,
      ).catch(() => {
        // Only writing can fail here (the RPC's own errors became trailers): the client is gone.
      });
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  };

  async function answer(
    req: http2.Http2ServerRequest,
    res: http2.Http2ServerResponse,
    target: { spec: UnarySpec; serialization: ReturnType<typeof createMethodSerializationLookup> },
    input: unknown,
    timeoutMs: number | undefined,
  ): Promise<void> {
    const { spec, serialization } = target;
    const header = webHeaders(req.headers);
    // The handler context of connect-es's createHandlerContext, with one
    // AbortController instead of three linked ones: the signal aborts at the
    // deadline, when the HTTP/2 stream closes early, and when the call is done.
    const controller = new AbortController();
    const abort = (reason: unknown) => {
      if (!controller.signal.aborted) controller.abort(reason);
    };
    let deadline: NodeJS.Timeout | undefined;
    let timeLeft: () => number | undefined = () => undefined;
    if (timeoutMs !== undefined) {
      const end = Date.now() + timeoutMs;
      timeLeft = () => end - Date.now();
      const expire = () => abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
      if (timeoutMs <= 0) expire();
      else deadline = setTimeout(expire, timeoutMs);
    }
    const shutdown = opt.shutdownSignal;
    const onShutdown = () => abort(shutdown?.reason ?? ABORTED);
    if (shutdown?.aborted) onShutdown();
    else shutdown?.addEventListener("abort", onShutdown);
    let done = false;
    req.once("close", () => {
      if (!done) abort(resetError(req.stream.rstCode) ?? ABORTED);
    });
    const context: HandlerContext = {
      method: spec.method,
      service: spec.method.parent,
      signal: controller.signal,
      timeoutMs: timeLeft,
      requestMethod: "POST",
      protocolName: "grpc",
      url: new URL(req.url, `http://${req.authority}`).toString(),
      requestHeader: header,
      responseHeader: new Headers({ [headerContentType]: contentTypeProto }),
      responseTrailer: new Headers({ [headerGrpcStatus]: grpcStatusOk }),
      values: adapterOptions.contextValues?.(req) ?? createContextValues(),
    };
    const compression = compressionNegotiate(
      opt.acceptCompression,
      null,
      header.get(headerAcceptEncoding),
      headerAcceptEncoding,
    );
    if (compression.response) context.responseHeader.set(headerEncoding, compression.response.name);
    let frame: Uint8Array | undefined;
    try {
      const output = await invokeUnaryImplementation(spec, context, input as never, opt.interceptors);
      frame = await envelope(serialization.getO(true).serialize(output), compression.response, opt.compressMinBytes);
      abort(ABORTED);
    } catch (error) {
      abort(error);
      setTrailerStatus(
        context.responseTrailer,
        error instanceof ConnectError
          ? error
          : new ConnectError("internal error", Code.Internal, undefined, undefined, error),
      );
    }
    clearTimeout(deadline);
    shutdown?.removeEventListener("abort", onShutdown);
    try {
      res.writeHead(200, nodeHeaders(context.responseHeader));
      if (frame) res.write(frame);
      res.addTrailers(nodeHeaders(context.responseTrailer));
      res.end();
    } finally {
      done = true;
    }
  }
}

/** A router that also hands every unary method implementation to `found`. */
function collectUnary(router: ConnectRouter, found: (spec: UnarySpec) => void): ConnectRouter {
  const collector: ConnectRouter = {
    get handlers() {
      return router.handlers;
    },
    service(service: DescService, implementation: never, options?: never) {
      router.service(service, implementation, options);
      // Per-service options (interceptors, limits) are not taken over: such services keep the adapter.
      if (options === undefined) {
        for (const spec of Object.values(createServiceImplSpec(service, implementation).methods)) {
          if (spec.kind === "unary") found(spec as UnarySpec);
        }
      }
      return collector;
    },
    rpc(method: never, implementation: never, options?: never) {
      router.rpc(method, implementation, options);
      return collector;
    },
  } as ConnectRouter;
  return collector;
}

async function envelope(data: Uint8Array, compression: Compression | null, compressMinBytes: number) {
  const { flags, data: payload } = await envelopeCompress({ flags: 0, data }, compression, compressMinBytes);
  const frame = Buffer.allocUnsafe(5 + payload.byteLength);
  frame[0] = flags;
  frame.writeUInt32BE(payload.byteLength, 1);
  frame.set(payload, 5);
  return frame;
}

async function* replayBody(chunks: Buffer[], rest: AsyncIterable<Uint8Array> | undefined) {
  yield* createAsyncIterable(chunks);
  if (rest) yield* rest;
}

/** As connect-node's nodeHeaderToWebHeader: request headers without HTTP/2 pseudo-headers. */
function webHeaders(headers: http2.IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const key in headers) {
    if (key.startsWith(":")) continue;
    const value = headers[key];
    if (value === undefined) continue;
    if (typeof value === "string") out.append(key, value);
    else for (const v of value) out.append(key, v);
  }
  return out;
}

/** As connect-node's webHeaderToNodeHeaders. */
function nodeHeaders(headers: Headers): NodeHeaders {
  const out: NodeHeaders = Object.create(null);
  headers.forEach((value, key) => {
    const existing = out[key];
    if (existing === undefined) out[key] = value;
    else if (Array.isArray(existing)) existing.push(value);
    else out[key] = [existing, value];
  });
  return out;
}

/** As connect-node: the RPC's abort reason for an HTTP/2 stream reset by the client. */
function resetError(rstCode: number): ConnectError | undefined {
  const codes: Record<number, [string, Code]> = {
    1: ["PROTOCOL_ERROR", Code.Internal],
    2: ["INTERNAL_ERROR", Code.Internal],
    3: ["FLOW_CONTROL_ERROR", Code.Internal],
    4: ["SETTINGS_TIMEOUT", Code.Internal],
    6: ["FRAME_SIZE_ERROR", Code.Internal],
    7: ["REFUSED_STREAM", Code.Unavailable],
    8: ["CANCEL", Code.Canceled],
    9: ["COMPRESSION_ERROR", Code.Internal],
    10: ["CONNECT_ERROR", Code.Internal],
    11: ["ENHANCE_YOUR_CALM", Code.ResourceExhausted],
    12: ["INADEQUATE_SECURITY", Code.PermissionDenied],
    13: ["HTTP_1_1_REQUIRED", Code.PermissionDenied],
  };
  const known = codes[rstCode];
  return (
    known && new ConnectError(`http/2 stream closed with error code ${known[0]} (0x${rstCode.toString(16)})`, known[1])
  );
}
