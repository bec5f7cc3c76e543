import type http from "node:http";
import type http2 from "node:http2";

/** A request as Node's HTTP/1.1 and HTTP/2 (compat) servers hand it over. */
export type NodeRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type NodeResponse = http.ServerResponse | http2.Http2ServerResponse;
export type NodeHandler = (req: NodeRequest, res: NodeResponse) => void;

/** Answers with a JSON document (the plain-HTTP routes: REST shape, probes, 404). */
export function writeJson(
  res: NodeResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}
