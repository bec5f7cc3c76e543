import { type ConnectRouter, createConnectRouter } from "@connectrpc/connect";
import { parseContentType } from "@connectrpc/connect/protocol-connect";
import { type NodeHandler, type NodeResponse, writeJson } from "../node-http.js";
import { connectGetMessageProblem } from "./connect-get-message.js";

type Headers = Record<string, string | string[] | number | undefined>;

const PARSE_BINARY = "parse binary: ";
const END_STREAM = 0b10;

/**
 * Caller garbage in a Connect-protocol request becomes INVALID_ARGUMENT
 * (HTTP 400) naming what is wrong, where connect-es answers INTERNAL (500):
 *
 * - a GET whose `message` does not decode as sent (connect-get-message.ts) is
 *   refused before connect-es reads it;
 * - a binary message that does not parse: connect-es answers INTERNAL, as
 *   gRPC's status table prescribes for gRPC, while a malformed JSON message is
 *   already INVALID_ARGUMENT. Those answers (a unary 500, or the end-stream
 *   message of a streaming call) are rewritten.
 *
 * Connect requests are told apart as connect-es does: `parseContentType`
 * (media types in any case, with parameters), and every GET of a route that
 * allows GET. gRPC and gRPC-Web keep INTERNAL for an unparsable message.
 *
 * `routes`: the routes the handler serves (for the paths connect-es serves over GET).
 */
export function withConnectParseErrors(handler: NodeHandler, routes: (router: ConnectRouter) => void): NodeHandler {
  const router = createConnectRouter();
  routes(router);
  const getPaths = new Set(router.handlers.filter((h) => h.allowedMethods.includes("GET")).map((h) => h.requestPath));
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
      if (type?.binary) (type.stream ? rewriteEndStream : holdServerErrors)(res);
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
    const body = Buffer.concat(chunks);
    const rewritten = asInvalidArgument(body);
    const { "content-length": _length, ...rest } = headers;
    writeHead(rewritten ? 400 : status, rest);
    return end(rewritten ?? body);
  };
}

/**
 * A streaming call's end-stream message (flags 0x02; connect-es writes each
 * envelope in one piece): `{"error": {...}, "metadata": {...}}`.
 */
function rewriteEndStream(res: NodeResponse): void {
  const write = res.write.bind(res) as (chunk: unknown, ...rest: unknown[]) => boolean;
  (res as unknown as Record<string, unknown>).write = (chunk: unknown, ...rest: unknown[]) => {
    if (chunk instanceof Uint8Array && chunk[0] === END_STREAM && chunk.byteLength >= 5) {
      const data = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      const endStream = parseJson(data.subarray(5)) as { error?: unknown } | undefined;
      const error = endStream && data.readUInt32BE(1) === data.byteLength - 5 && rewriteError(endStream.error);
      if (error) {
        const payload = Buffer.from(JSON.stringify({ ...endStream, error }));
        const envelope = Buffer.alloc(5);
        envelope[0] = END_STREAM;
        envelope.writeUInt32BE(payload.byteLength, 1);
        return write(Buffer.concat([envelope, payload]), ...rest);
      }
    }
    return write(chunk, ...rest);
  };
}

/** A unary Connect error document, rewritten when it reports an unparsable binary message. */
function asInvalidArgument(body: Buffer): Buffer | undefined {
  const error = rewriteError(parseJson(body));
  return error ? Buffer.from(JSON.stringify(error)) : undefined;
}

/**
 * Is this connect-es's INTERNAL for a request message that does not parse
 * (the caller's garbage, which the Connect protocol answers as
 * INVALID_ARGUMENT through this patch)? For the RPC log line of a stream,
 * whose request messages are parsed inside the handler's iteration.
 */
export function isUnparsableMessage(error: { readonly code: number; readonly rawMessage: string }): boolean {
  return rewriteError({ code: error.code === 13 ? "internal" : "", message: error.rawMessage }) !== undefined;
}

function rewriteError(error: unknown): { code: string; message: string } | undefined {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code !== "internal" || typeof message !== "string" || !message.startsWith(PARSE_BINARY)) return undefined;
  return {
    code: "invalid_argument",
    message: `request: not a valid protobuf message (${message.slice(PARSE_BINARY.length)})`,
  };
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString("utf8"));
  } catch {
    return undefined; // not a Connect error document: passed on unchanged
  }
}
