import type { NodeHandler } from "../node-http.js";

type Headers = Record<string, string | string[] | number | undefined>;

/**
 * Re-encodes the grpc-message header/trailer of gRPC responses in the gRPC
 * spec's minimal percent-encoding (only "%", controls and non-ASCII bytes).
 *
 * connect-es encodes it with encodeURIComponent (also ":", "/", "?", "=", …,
 * which the spec permits) while @grpc/grpc-js decodes with decodeURI, which
 * leaves those escaped: grpc-js callers would read "key%3A must not be empty".
 * The minimal form decodes identically with either function.
 */
export function withSpecGrpcMessage(handler: NodeHandler): NodeHandler {
  return (req, res) => {
    const type = req.headers["content-type"] ?? "";
    if (type.startsWith("application/grpc") && !type.startsWith("application/grpc-web")) {
      const writeHead = res.writeHead.bind(res) as (status: number, headers?: Headers) => unknown;
      (res as { writeHead: unknown }).writeHead = (status: number, headers?: Headers) =>
        writeHead(status, headers && fixMessage(headers));
      const addTrailers = res.addTrailers.bind(res) as (trailers: Headers) => void;
      (res as { addTrailers: unknown }).addTrailers = (trailers: Headers) => addTrailers(fixMessage(trailers));
    }
    handler(req, res);
  };
}

function fixMessage(headers: Headers): Headers {
  const value = headers["grpc-message"];
  if (typeof value !== "string") return headers;
  let text: string;
  try {
    text = decodeURIComponent(value);
  } catch {
    return headers;
  }
  return { ...headers, "grpc-message": encodeGrpcMessage(text) };
}

/** Percent-encoding per PROTOCOL-HTTP2.md: bytes 0x20–0x7E except "%" stay. */
export function encodeGrpcMessage(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}
