import type { NodeHandler, NodeResponse } from "./node-http.js";

type Headers = Record<string, string | string[] | number | undefined>;

/**
 * connect-es answers an undecodable *binary* request message with INTERNAL
 * (HTTP 500), as gRPC's status table prescribes for gRPC. In the Connect
 * protocol a malformed request is the caller's mistake, as connect-es already
 * treats malformed JSON: this turns those answers into INVALID_ARGUMENT (400)
 * naming the request message. gRPC and gRPC-Web keep INTERNAL.
 */
export function withConnectParseErrors(handler: NodeHandler): NodeHandler {
  return (req, res) => {
    const type = String(req.headers["content-type"] ?? "");
    const connectBinary =
      type === "application/proto" || (req.method === "GET" && /[?&]encoding=proto(&|$)/.test(req.url ?? ""));
    if (connectBinary) holdServerErrors(res);
    handler(req, res);
  };
}

function holdServerErrors(res: NodeResponse): void {
  const writeHead = res.writeHead.bind(res) as (status: number, headers?: Headers) => unknown;
  const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => unknown;
  let held: { status: number; headers: Headers; chunks: Buffer[] } | undefined;
  const r = res as unknown as Record<string, unknown>;
  r.writeHead = (status: number, headers: Headers = {}) => {
    if (status !== 500) return writeHead(status, headers);
    // connect-node calls writeHead again when headersSent is still false.
    held = { status, headers, chunks: held?.chunks ?? [] };
    return res;
  };
  r.write = (chunk: unknown, ...rest: unknown[]) => {
    if (!held) return write(chunk, ...rest);
    held.chunks.push(Buffer.from(chunk as Uint8Array));
    const callback = rest.find((a) => typeof a === "function") as (() => void) | undefined;
    callback?.();
    return true;
  };
  r.end = (...args: unknown[]) => {
    if (!held) return end(...args);
    const { status, headers, chunks } = held;
    if (typeof args[0] === "string" || args[0] instanceof Uint8Array) chunks.push(Buffer.from(args[0] as Uint8Array));
    held = undefined;
    let body = Buffer.concat(chunks);
    let code = status;
    try {
      const error = JSON.parse(body.toString("utf8")) as { code?: string; message?: string };
      if (error.code === "internal" && error.message?.startsWith("parse binary: ")) {
        code = 400;
        body = Buffer.from(
          JSON.stringify({
            code: "invalid_argument",
            message: `request: not a valid protobuf message (${error.message.slice("parse binary: ".length)})`,
          }),
        );
      }
    } catch {
      // Not a Connect error document: pass it on unchanged.
    }
    const { "content-length": _length, ...rest } = headers;
    writeHead(code, rest);
    return end(body);
  };
}
