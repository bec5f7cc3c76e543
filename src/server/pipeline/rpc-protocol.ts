import { createContextKey, type Interceptor, type StreamRequest, type UnaryRequest } from "@connectrpc/connect";

/**
 * How an RPC reached presignd: set by `calledAs` when its headers do not tell
 * (an in-process call made for a plain HTTP route), else by the first
 * `rpcProtocol` of the call (logging and metrics both ask).
 */
const PROTOCOL = createContextKey<string | undefined>(undefined, { description: "presignd RPC protocol" });

/** Interceptor of an in-process router: its RPCs are logged and counted as made over `protocol` (e.g. "rest"). */
export function calledAs(protocol: string): Interceptor {
  return (next) => (req) => {
    req.contextValues.set(PROTOCOL, protocol);
    return next(req);
  };
}

/** The protocol of an RPC, for logs and metrics: connect-get|json|proto, grpc, grpc-web, or as `calledAs` set. */
export function rpcProtocol(req: UnaryRequest | StreamRequest): string {
  let protocol = req.contextValues.get(PROTOCOL);
  if (protocol === undefined) {
    protocol = protocolOf(req.requestMethod, req.header.get("content-type"));
    req.contextValues.set(PROTOCOL, protocol);
  }
  return protocol;
}

/** The protocol of an HTTP request by its method and content type. */
export function protocolOf(method: string | undefined, contentType: string | null | undefined): string {
  if (method === "GET") return "connect-get";
  const type = contentType ?? "";
  if (type.startsWith("application/grpc-web")) return "grpc-web";
  if (type.startsWith("application/grpc")) return "grpc";
  return type.includes("json") ? "connect-json" : "connect-proto";
}
