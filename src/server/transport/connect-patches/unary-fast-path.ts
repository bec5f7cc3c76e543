import type http2 from "node:http2";
import type { DescMethodUnary, DescService } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ContextValues,
  createConnectRouter,
  createContextValues,
  createServiceImplSpec,
  type HandlerContext,
  type Interceptor,
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
  codeToHttpStatus,
  contentTypeUnaryJson,
  contentTypeUnaryProto,
  errorToJsonBytes,
  headerTimeout as headerConnectTimeout,
  headerUnaryAcceptEncoding,
  headerUnaryContentLength,
  headerUnaryEncoding,
  parseTimeout as parseConnectTimeout,
  trailerMux,
} from "@connectrpc/connect/protocol-connect";
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
type Serialization = ReturnType<typeof createMethodSerializationLookup>;
interface UnaryTarget {
  readonly spec: UnarySpec;
  readonly serialization: Serialization;
}
type HandlerOptions = ReturnType<typeof validateUniversalHandlerOptions>;

// One shared abort reason: on Node 20 `abort()` without a reason builds a new
// DOMException (with a stack) every time. Same name and message as that one.
const ABORTED = new DOMException("This operation was aborted", "AbortError");

/** A unary RPC invoked in-process by an HTTP route of presignd's own (the REST shape). */
export type UnaryInvoker = (
  path: string,
  input: unknown,
  call: { readonly header: Headers; readonly values: ContextValues; readonly url: string },
) => Promise<unknown>;

/**
 * connectNodeAdapter with a shorter road for the most common requests: a
 * unary call with an uncompressed, well-formed, single message, in the gRPC
 * protocol (HTTP/2) or the Connect protocol (POST, `application/json` or
 * `application/proto`, HTTP/1.1 or HTTP/2).
 *
 * connect-es runs every gRPC call, unary or not, through its streaming
 * pipeline (a dozen chained async generators per request), and every Connect
 * unary call through async iterables, three linked AbortControllers and a
 * chunked response written in two socket writes. This reads the one message,
 * runs the same interceptors and implementation (connect-es's own
 * `invokeUnaryImplementation`) with an equivalent handler context, and writes
 * the answer as the adapter does — gRPC: headers, one data frame, trailers
 * with grpc-status/grpc-message; Connect: status, headers (trailers as
 * `trailer-*`), content-length and the body, in one `end()`. Everything else
 * goes to the adapter untouched — other protocols, GET, streaming and unknown
 * methods, compressed requests — and a body that is not exactly one
 * acceptable message (too large, truncated, trailing bytes, not decodable, a
 * broken stream) is replayed into connect-es's own handler, so its refusals
 * are the adapter's to the byte.
 */
export function unaryFastPath(options: ConnectNodeAdapterOptions): NodeHandler {
  const adapterOptions = {
    ...options,
    acceptCompression: options.acceptCompression ?? [compressionGzip, compressionBrotli],
  };
  const adapter = connectNodeAdapter(adapterOptions) as NodeHandler;

  const opt = validateUniversalHandlerOptions(adapterOptions);
  const universal = new Map<string, UniversalHandler>();
  const router = createConnectRouter(adapterOptions);
  const unary = unaryTargets(router, adapterOptions, opt);
  for (const handler of router.handlers) universal.set(handler.requestPath, handler);
  const maxEnvelope = 5 + opt.readMaxBytes;

  /** connect-es's handler, reading `body` instead of the (partly read) request stream. */
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

  /** connect-es's handler, for a request whose whole body was read. */
  const replayRead = (req: NodeRequest, res: NodeResponse, body: Buffer) =>
    replay(req, res, replayBody([body], undefined));

  /**
   * Reads the whole body (at most `limit` bytes) and hands it to `done`; a
   * body over the limit or a broken stream goes to connect-es's handler.
   */
  const readBody = (req: NodeRequest, res: NodeResponse, limit: number, done: (body: Buffer) => void) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.byteLength;
      if (size > limit) {
        stop();
        req.pause();
        replay(req, res, replayBody(chunks, req));
      }
    };
    const onError = () => {
      stop();
      replay(req, res, replayBody(chunks, req));
    };
    const onEnd = () => {
      stop();
      done(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
  };

  const handler: NodeHandler = (req, res) => {
    const target = req.method === "POST" ? unary.get(req.url ?? "") : undefined;
    if (target !== undefined) {
      const type = req.headers["content-type"];
      if (req.httpVersionMajor === 2 && (type === "application/grpc" || type === "application/grpc+proto")) {
        const encoding = req.headers["grpc-encoding"];
        if (encoding === undefined || encoding === "identity") {
          grpcUnary(req as http2.Http2ServerRequest, res as http2.Http2ServerResponse, target);
          return;
        }
      } else if (
        (type === contentTypeUnaryJson || type === contentTypeUnaryProto) &&
        req.headers["content-encoding"] === undefined &&
        authorityOf(req) !== undefined
      ) {
        connectUnary(req, res, target, type === contentTypeUnaryProto);
        return;
      }
    }
    adapter(req, res);
  };

  return handler;

  function grpcUnary(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse, target: UnaryTarget): void {
    readBody(req, res, maxEnvelope, (body) => {
      const length = body.byteLength >= 5 ? body.readUInt32BE(1) : -1;
      if (body.byteLength < 5 || body[0] !== 0 || length !== body.byteLength - 5 || length > opt.readMaxBytes) {
        replayRead(req, res, body);
        return;
      }
      let message: unknown;
      try {
        message = target.serialization.getI(true).parse(body.subarray(5));
      } catch {
        replayRead(req, res, body);
        return;
      }
      const timeout = parseTimeout((req.headers["grpc-timeout"] as string | undefined) ?? null, opt.maxTimeoutMs);
      if (timeout.error) {
        replayRead(req, res, body);
        return;
      }
      answerGrpc(req, res, target, message, timeout.timeoutMs).catch(() => {
        // Only writing can fail here (the RPC's own errors became trailers): the client is gone.
      });
    });
  }

  async function answerGrpc(
    req: http2.Http2ServerRequest,
    res: http2.Http2ServerResponse,
    target: UnaryTarget,
    input: unknown,
    timeoutMs: number | undefined,
  ): Promise<void> {
    const { spec, serialization } = target;
    const header = webHeaders(req.headers);
    const rpc = startCall(opt, spec, {
      protocolName: "grpc",
      url: new URL(req.url, `http://${req.authority}`).toString(),
      header,
      values: adapterOptions.contextValues?.(req) ?? createContextValues(),
      responseHeader: new Headers({ [headerContentType]: contentTypeProto }),
      responseTrailer: new Headers({ [headerGrpcStatus]: grpcStatusOk }),
      timeoutMs,
    });
    abortOnEarlyClose(req, req, rpc);
    const { context } = rpc;
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
      rpc.finish(ABORTED);
    } catch (error) {
      rpc.finish(error);
      setTrailerStatus(context.responseTrailer, asConnectError(error));
    }
    try {
      res.writeHead(200, nodeHeaders(context.responseHeader));
      if (frame) res.write(frame);
      res.addTrailers(nodeHeaders(context.responseTrailer));
      res.end();
    } finally {
      rpc.written();
    }
  }

  function connectUnary(req: NodeRequest, res: NodeResponse, target: UnaryTarget, binary: boolean): void {
    const timeout = parseConnectTimeout(
      (req.headers[headerConnectTimeout.toLowerCase()] as string | undefined) ?? null,
      opt.maxTimeoutMs,
    );
    const declared = req.headers["content-length"];
    if (timeout.error || (declared !== undefined && Number(declared) > opt.readMaxBytes)) {
      adapter(req, res);
      return;
    }
    readBody(req, res, opt.readMaxBytes, (body) => {
      if (declared !== undefined && Number(declared) !== body.byteLength) {
        replayRead(req, res, body);
        return;
      }
      let message: unknown;
      try {
        message = target.serialization.getI(binary).parse(body);
      } catch {
        replayRead(req, res, body);
        return;
      }
      answerConnect(req, res, target, binary, message, timeout.timeoutMs).catch(() => {
        // Only writing can fail here (the RPC's own errors became the answer): the client is gone.
      });
    });
  }

  async function answerConnect(
    req: NodeRequest,
    res: NodeResponse,
    target: UnaryTarget,
    binary: boolean,
    input: unknown,
    timeoutMs: number | undefined,
  ): Promise<void> {
    const { spec, serialization } = target;
    const header = webHeaders(req.headers);
    const encrypted = "encrypted" in req.socket && req.socket.encrypted === true;
    const rpc = startCall(opt, spec, {
      protocolName: "connect",
      url: new URL(req.url ?? "", `${encrypted ? "https" : "http"}://${authorityOf(req)}`).toString(),
      header,
      values: adapterOptions.contextValues?.(req) ?? createContextValues(),
      responseHeader: new Headers({ [headerContentType]: binary ? contentTypeUnaryProto : contentTypeUnaryJson }),
      responseTrailer: new Headers(),
      timeoutMs,
    });
    // HTTP/1.1: Node closes the request once its body is read; the response's close is the client's.
    abortOnEarlyClose(req, req.httpVersionMajor === 2 ? req : res, rpc);
    const { context } = rpc;
    const compression = compressionNegotiate(
      opt.acceptCompression,
      null,
      header.get(headerUnaryAcceptEncoding),
      headerUnaryAcceptEncoding,
    );
    let status = 200;
    let body: Uint8Array;
    try {
      const output = await invokeUnaryImplementation(spec, context, input as never, opt.interceptors);
      body = serialization.getO(binary).serialize(output);
      rpc.finish(ABORTED);
    } catch (e) {
      rpc.finish(e);
      const error = asConnectError(e);
      status = codeToHttpStatus(error.code);
      context.responseHeader.set(headerContentType, contentTypeUnaryJson);
      error.metadata.forEach((value, key) => {
        context.responseHeader.set(key, value);
      });
      body = errorToJsonBytes(error, opt.jsonOptions);
    }
    if (compression.response && body.byteLength >= opt.compressMinBytes) {
      body = await compression.response.compress(body);
      context.responseHeader.set(headerUnaryEncoding, compression.response.name);
    }
    const out = trailerMux(context.responseHeader, context.responseTrailer);
    out.set(headerUnaryContentLength, body.byteLength.toString(10));
    try {
      res.writeHead(status, nodeHeaders(out));
      res.end(body);
    } finally {
      rpc.written();
    }
  }
}

/**
 * The router's unary RPCs for an HTTP route of presignd's own (the REST
 * shape): each call runs `outer` (outermost first), then the options'
 * interceptors and the implementation, exactly as an RPC off the wire — no
 * client, serialization or router in between.
 */
export function unaryInvoker(options: ConnectNodeAdapterOptions, outer: Interceptor[]): UnaryInvoker {
  const opt = validateUniversalHandlerOptions(options);
  const unary = unaryTargets(createConnectRouter(options), options, opt);
  const interceptors = [...outer, ...opt.interceptors];
  return async (path, input, call) => {
    const target = unary.get(path);
    if (!target) throw new ConnectError(`no unary RPC ${path}`, Code.Unimplemented);
    const rpc = startCall(opt, target.spec, {
      protocolName: "connect",
      url: call.url,
      header: call.header,
      values: call.values,
      responseHeader: new Headers(),
      responseTrailer: new Headers(),
      timeoutMs: undefined,
    });
    try {
      return await invokeUnaryImplementation(target.spec, rpc.context, input as never, interceptors);
    } finally {
      rpc.finish(ABORTED);
    }
  };
}

/** The unary methods of `options.routes`, registered on `router` too, by request path. */
function unaryTargets(
  router: ConnectRouter,
  options: ConnectNodeAdapterOptions,
  opt: HandlerOptions,
): Map<string, UnaryTarget> {
  const unary = new Map<string, UnaryTarget>();
  options.routes(
    collectUnary(router, (spec) =>
      unary.set(`/${spec.method.parent.typeName}/${spec.method.name}`, {
        spec,
        serialization: createMethodSerializationLookup(spec.method, opt.binaryOptions, opt.jsonOptions, opt),
      }),
    ),
  );
  return unary;
}

interface Call {
  readonly context: HandlerContext;
  /** Ends the call: the signal aborts with `reason` (the RPC's error, or ABORTED when it is done). */
  finish(reason: unknown): void;
  /** The answer is written: a close of the stream no longer aborts the call. */
  written(): void;
  readonly aborted: (reason: unknown) => void;
}

/**
 * The handler context of connect-es's createHandlerContext, with one
 * AbortController instead of three linked ones: the signal aborts at the
 * deadline, on server shutdown, when the client goes away early, and when
 * the call is done.
 */
function startCall(
  opt: HandlerOptions,
  spec: UnarySpec,
  init: {
    protocolName: string;
    url: string;
    header: Headers;
    values: ContextValues;
    responseHeader: Headers;
    responseTrailer: Headers;
    timeoutMs: number | undefined;
  },
): Call {
  const controller = new AbortController();
  const abort = (reason: unknown) => {
    if (!controller.signal.aborted) controller.abort(reason);
  };
  let deadline: NodeJS.Timeout | undefined;
  let timeLeft: () => number | undefined = () => undefined;
  if (init.timeoutMs !== undefined) {
    const end = Date.now() + init.timeoutMs;
    timeLeft = () => end - Date.now();
    const expire = () => abort(new ConnectError("the operation timed out", Code.DeadlineExceeded));
    if (init.timeoutMs <= 0) expire();
    else deadline = setTimeout(expire, init.timeoutMs);
  }
  const shutdown = opt.shutdownSignal;
  const onShutdown = () => abort(shutdown?.reason ?? ABORTED);
  if (shutdown?.aborted) onShutdown();
  else shutdown?.addEventListener("abort", onShutdown);
  let done = false;
  const context: HandlerContext = {
    method: spec.method,
    service: spec.method.parent,
    signal: controller.signal,
    timeoutMs: timeLeft,
    requestMethod: "POST",
    protocolName: init.protocolName,
    url: init.url,
    requestHeader: init.header,
    responseHeader: init.responseHeader,
    responseTrailer: init.responseTrailer,
    values: init.values,
  };
  return {
    context,
    aborted: (reason) => {
      if (!done) abort(reason);
    },
    finish(reason) {
      abort(reason);
      clearTimeout(deadline);
      shutdown?.removeEventListener("abort", onShutdown);
    },
    written() {
      done = true;
    },
  };
}

/** The call's signal aborts when `closing` closes before the answer is written (HTTP/2: with the reset's code). */
function abortOnEarlyClose(req: NodeRequest, closing: NodeRequest | NodeResponse, call: Call): void {
  closing.once("close", () => {
    const stream = (req as http2.Http2ServerRequest).stream;
    call.aborted((stream && resetError(stream.rstCode)) ?? ABORTED);
  });
}

/** The authority connect-node builds the call's URL from; without it, connect-node refuses the request. */
function authorityOf(req: NodeRequest): string | undefined {
  return "authority" in req ? (req as http2.Http2ServerRequest).authority : req.headers.host;
}

function asConnectError(error: unknown): ConnectError {
  return error instanceof ConnectError
    ? error
    : new ConnectError("internal error", Code.Internal, undefined, undefined, error);
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
