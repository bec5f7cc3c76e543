import { cors as connectCors } from "@connectrpc/connect";
import { protocolOf } from "../pipeline/rpc-protocol.js";
import type { NodeHandler, NodeRequest } from "../transport/node-http.js";

/** Which browser origins may call presignd (--cors-origin, --dev); validated in config.ts. */
export interface CorsSetting {
  /** Exact origins (scheme://host[:port], as URL.origin serializes them). */
  readonly origins: readonly string[];
  /** `*`: any origin (accepted only with --dev). */
  readonly anyOrigin: boolean;
  /** --dev: any http(s) origin on localhost, 127.0.0.1 or [::1], whatever its port. */
  readonly localhost: boolean;
}

/** The --cors-origin setting, as errors name it. */
export const CORS_ORIGIN = "--cors-origin (PRESIGND_CORS_ORIGIN)";

/** How long a browser may cache a preflight answer (Chromium caps it at 7200 s). */
export const CORS_MAX_AGE_SECONDS = 7200;

/** Request headers presignd itself reads, on top of the protocols' own. */
const PRESIGND_REQUEST_HEADERS = ["authorization", "x-api-key", "x-request-id", "traceparent"];

const ALLOW_METHODS = connectCors.allowedMethods.join(", ");
const ALLOW_HEADERS = [...connectCors.allowedHeaders, ...PRESIGND_REQUEST_HEADERS].join(", ");
const EXPOSE_HEADERS = connectCors.exposedHeaders.join(", ");

const LOCAL_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** One --cors-origin value → the origin as browsers send it, or a problem naming what is wrong. */
export function parseCorsOrigin(value: string): { origin: string } | { problem: string } {
  const text = value.trim();
  if (text === "*") return { origin: "*" };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: `"${value}" is not an origin like https://app.example.com` };
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { problem: `"${value}" must be an http or https origin` };
  }
  if (url.username || url.password || url.search || url.hash || url.pathname !== "/") {
    return { problem: `"${value}" must be scheme://host[:port] only (no path, query or user info)` };
  }
  // e.g. https://app.example.com:443: the default port is not part of the Origin browsers send.
  if (text.replace(/\/$/, "").toLowerCase() !== url.origin) {
    return { problem: `"${value}" must be written as browsers send it: ${url.origin}` };
  }
  return { origin: url.origin };
}

function isAllowed(origin: string, setting: CorsSetting): boolean {
  if (setting.anyOrigin || setting.origins.includes(origin)) return true;
  if (!setting.localhost) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && LOCAL_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

/** gRPC proper (not gRPC-Web) never comes from a browser. */
function isGrpc(req: NodeRequest): boolean {
  return protocolOf(req.method, req.headers["content-type"]) === "grpc";
}

/**
 * Browser access, following connect-es's `cors` constants. Wraps the whole handler
 * (RPCs, REST shape, probes), outside every other layer, so errors carry the headers too.
 * A preflight from an origin that is not allowed is refused with 403 and no CORS headers.
 */
export function withCors(handler: NodeHandler, setting: CorsSetting): NodeHandler {
  return (req, res) => {
    const origin = req.headers.origin;
    if (origin === undefined || isGrpc(req)) {
      handler(req, res);
      return;
    }
    res.setHeader("vary", "Origin");
    const allowed = isAllowed(origin, setting);
    if (req.method === "OPTIONS" && req.headers["access-control-request-method"] !== undefined) {
      if (!allowed) {
        res.writeHead(403, { "content-length": 0 });
        res.end();
        return;
      }
      res.writeHead(204, {
        "access-control-allow-origin": origin,
        "access-control-allow-methods": ALLOW_METHODS,
        "access-control-allow-headers": ALLOW_HEADERS,
        "access-control-max-age": String(CORS_MAX_AGE_SECONDS),
      });
      res.end();
      return;
    }
    if (allowed) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("access-control-expose-headers", EXPOSE_HEADERS);
    }
    handler(req, res);
  };
}
