import { parseContentType } from "@connectrpc/connect/protocol-connect";
import { type NodeHandler, type NodeResponse, writeJson } from "../node-http.js";
import { connectGetMessageProblem } from "./connect-get-message.js";

type Headers = Record<string, string | string[] | number | undefined>;

const PARSE_BINARY = "parse binary: ";

/**
 * Caller garbage in a unary Connect-protocol request becomes INVALID_ARGUMENT
 * (HTTP 400) naming what is wrong, where connect-es answers INTERNAL (500):
 *
 * - a GET whose `message` does not decode as sent (connect-get-message.ts) is
 *   refused before connect-es reads it;
 * - a binary message that does not parse: connect-es answers INTERNAL, as
 *   gRPC's status table prescribes for gRPC, while a malformed JSON message is
 *   already INVALID_ARGUMENT. Those answers are held and rewritten.
 *
 * Connect requests are told apart as connect-es does: `parseContentType`
 * (media types in any case, with parameters), and every GET of a route that
 * allows GET. gRPC and gRPC-Web keep INTERNAL for an unparsable message.
 *
 * `getPaths`: the request paths connect-es serves over GET.
 */
export function withConnectParseErrors(handler: NodeHandler, getPaths: ReadonlySet<string>): NodeHandler {
  return (req, res) => {
    const url = req.url ?? "";
    if (req.method === "GET") {
      const path = url.split("?", 1)[0] ?? "";
      if (getPaths.has(path)) {
        const problem = connectGetMessageProblem(url);
        if (problem !== undefined) {
          writeJson(res, 400, { code: "invalid_argument", message: problem });
          return;
        }
        if (new URL(url, "http://localhost").searchParams.get("encoding") === "proto") holdServerErrors(res);
      }
    } else {
      const type = parseContentType(String(req.headers["content-type"] ?? ""));
      if (type?.binary && !type.stream) holdServerErrors(res);
    }
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
      if (error.code === "internal" && error.message?.startsWith(PARSE_BINARY)) {
        code = 400;
        body = Buffer.from(
          JSON.stringify({
            code: "invalid_argument",
            message: `request: not a valid protobuf message (${error.message.slice(PARSE_BINARY.length)})`,
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
