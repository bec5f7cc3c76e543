import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { createPresignClient, type NodePresignClient } from "@presignd/client/node";

/** The RPC protocols the CLI speaks. */
export type TransportName = "connect" | "grpc" | "grpc-web";

export interface NodeClientOptions {
  /** presignd's base URL, e.g. http://127.0.0.1:8080 */
  readonly baseUrl: string;
  /** Protocol to speak (default "connect"). gRPC always uses HTTP/2. */
  readonly transport?: TransportName;
  /** HTTP version for Connect and gRPC-Web (default "1.1"; gRPC is always "2"). */
  readonly httpVersion?: "1.1" | "2";
  /** Headers sent with every RPC, e.g. { authorization: "Bearer …" }. */
  readonly headers?: Readonly<Record<string, string>>;
  /** For an https baseUrl: a private CA to trust, and a client certificate for mTLS (PEM). */
  readonly tls?: { readonly ca?: string | Buffer; readonly cert?: string | Buffer; readonly key?: string | Buffer };
}

/**
 * The client package on Node with connect-node's transports: gRPC (HTTP/2),
 * Connect and gRPC-Web over HTTP/1.1 or 2, TLS and mTLS. The CLI, tests and
 * benches reach presignd through this.
 */
export function connectPresignd(options: NodeClientOptions): NodePresignClient {
  return createPresignClient({ transport: nodeTransport(options) });
}

/** The connect-node transport for a protocol name, with the configured headers. */
export function nodeTransport(options: NodeClientOptions): Transport {
  const headers = options.headers ?? {};
  const addHeaders: Interceptor = (next) => (req) => {
    for (const [name, value] of Object.entries(headers)) req.header.set(name, value);
    return next(req);
  };
  const interceptors = Object.keys(headers).length > 0 ? [addHeaders] : [];
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const nodeOptions = options.tls ? { nodeOptions: { ...options.tls } } : {};
  switch (options.transport ?? "connect") {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors, ...nodeOptions });
    case "grpc-web":
      return createGrpcWebTransport({
        baseUrl,
        httpVersion: options.httpVersion ?? "1.1",
        interceptors,
        ...nodeOptions,
      });
    case "connect":
      return createConnectTransport({
        baseUrl,
        httpVersion: options.httpVersion ?? "1.1",
        interceptors,
        useHttpGet: true,
        ...nodeOptions,
      });
    default:
      throw new Error(`unknown transport "${String(options.transport)}": use connect, grpc or grpc-web`);
  }
}
export type { NodePresignClient } from "@presignd/client/node";
