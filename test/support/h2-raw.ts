import http2 from "node:http2";

export interface RawH2Response {
  /** Response headers, pseudo-headers included, without `date`. */
  readonly headers: Record<string, unknown>;
  readonly trailers: Record<string, unknown>;
  readonly body: Buffer;
}

/**
 * One HTTP/2 (h2c) POST with exactly these headers and body bytes, for
 * gRPC requests no client library would send (broken framing, odd headers).
 */
export function rawH2Post(baseUrl: string, path: string, headers: Record<string, string>, body: Buffer) {
  return new Promise<RawH2Response>((resolve, reject) => {
    const session = http2.connect(baseUrl);
    session.on("error", reject);
    const stream = session.request({ ":method": "POST", ":path": path, ...headers });
    let responseHeaders: Record<string, unknown> = {};
    let trailers: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    stream.on("response", (h) => {
      const { date: _date, ...rest } = h;
      responseHeaders = { ...rest };
    });
    stream.on("trailers", (t) => {
      trailers = { ...t };
    });
    stream.on("data", (chunk: Buffer) => chunks.push(chunk));
    stream.on("error", reject);
    stream.on("close", () => {
      session.close();
      resolve({ headers: responseHeaders, trailers, body: Buffer.concat(chunks) });
    });
    stream.end(body);
  });
}

/** A gRPC length-prefixed message: flags byte, 4-byte big-endian length, payload. */
export function grpcFrame(payload: Uint8Array, flags = 0, declaredLength = payload.byteLength): Buffer {
  const frame = Buffer.alloc(5 + payload.byteLength);
  frame[0] = flags;
  frame.writeUInt32BE(declaredLength, 1);
  frame.set(payload, 5);
  return frame;
}
