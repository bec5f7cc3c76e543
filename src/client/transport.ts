import type { Interceptor, Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";

/** How to reach presignd: a base URL (the Connect protocol over fetch), or any Connect transport. */
export type ConnectionOptions =
  | {
      /** presignd's base URL, e.g. "https://presign.example.com" or "/" on the same origin. */
      readonly baseUrl: string;
      /** Run on every RPC, e.g. to set a fresh `Authorization` header. */
      readonly interceptors?: readonly Interceptor[];
      /** Headers sent with every RPC, e.g. { authorization: "Bearer …" } (use an interceptor for tokens that change). */
      readonly headers?: Readonly<Record<string, string>>;
      readonly transport?: undefined;
    }
  | {
      /** A transport you built: connect-web's (gRPC-Web, Connect) in browsers, connect-node's (gRPC, HTTP/2) on Node. */
      readonly transport: Transport;
      readonly baseUrl?: undefined;
      readonly interceptors?: undefined;
      readonly headers?: undefined;
    };

/** The transport for the options: the given one, or connect-web's Connect transport for a base URL. @private */
export function transportFor(options: ConnectionOptions): Transport {
  if (options.transport !== undefined) return options.transport;
  const headers = options.headers ?? {};
  const fixed: Interceptor = (next) => (request) => {
    for (const [name, value] of Object.entries(headers)) request.header.set(name, value);
    return next(request);
  };
  return createConnectTransport({
    baseUrl: resolveBaseUrl(options.baseUrl),
    // Presigning GET requests is side-effect free (idempotent RPCs): GET lets caches and logs see them as reads.
    useHttpGet: true,
    interceptors: [...(Object.keys(headers).length > 0 ? [fixed] : []), ...(options.interceptors ?? [])],
  });
}

/** "/" or a relative URL means the page's origin (browsers); trailing slashes are dropped. */
function resolveBaseUrl(baseUrl: string): string {
  const location = (globalThis as { location?: { href?: string } }).location;
  const absolute = location?.href ? new URL(baseUrl, location.href).toString() : baseUrl;
  return absolute.replace(/\/+$/, "");
}
