import http2 from "node:http2";
import net from "node:net";

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

/** HTTP/2 frame types, flags and error codes the frame-level tests use (RFC 9113 §6, §7). */
export const H2 = {
  PREFACE: Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
  DATA: 0x0,
  HEADERS: 0x1,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  GOAWAY: 0x7,
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  NO_ERROR: 0x0,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
} as const;

export interface H2Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** One frame: 24-bit length, type, flags, 31-bit stream id, payload. */
export function h2Frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  header.writeUIntBE(payload.length, 0, 3);
  header[3] = type;
  header[4] = flags;
  header.writeUInt32BE(streamId, 5);
  return Buffer.concat([header, payload]);
}

/**
 * An HPACK header block of literal fields without indexing and without
 * Huffman coding (RFC 7541 §6.2.2): valid, and needs no encoder state.
 */
export function hpackBlock(headers: Record<string, string>): Buffer {
  const string = (text: string) => {
    const bytes = Buffer.from(text);
    return Buffer.concat([hpackInteger(bytes.length, 7, 0x00), bytes]);
  };
  return Buffer.concat(
    Object.entries(headers).flatMap(([name, value]) => [Buffer.of(0x00), string(name), string(value)]),
  );
}

function hpackInteger(value: number, prefixBits: number, firstByte: number): Buffer {
  const max = 2 ** prefixBits - 1;
  if (value < max) return Buffer.of(firstByte | value);
  const bytes = [firstByte | max];
  for (let rest = value - max; ; rest = Math.floor(rest / 128)) {
    if (rest < 128) {
      bytes.push(rest);
      return Buffer.from(bytes);
    }
    bytes.push((rest % 128) | 0x80);
  }
}

/** The error code of a RST_STREAM frame, or of a GOAWAY frame. */
export function h2ErrorCode(frame: H2Frame): number {
  return frame.payload.readUInt32BE(frame.type === H2.GOAWAY ? 4 : 0);
}

export interface RawH2Connection {
  readonly socket: net.Socket;
  /** Every frame received so far, in order. */
  readonly frames: readonly H2Frame[];
  send(...frames: Buffer[]): void;
  /** The first frame received (before or after the call) that matches; fails after timeoutMs. */
  next(match: (frame: H2Frame) => boolean, timeoutMs?: number): Promise<H2Frame>;
  /** Resolves when the server closed the connection. */
  readonly closed: Promise<void>;
}

/**
 * An HTTP/2 connection driven frame by frame, for what no client library
 * sends (floods of streams, trickled bodies): it sends the preface and an
 * empty SETTINGS, ACKs the server's SETTINGS, and records every frame.
 */
export function rawH2Connect(baseUrl: string): Promise<RawH2Connection> {
  const url = new URL(baseUrl);
  const socket = net.connect(Number(url.port), url.hostname);
  const frames: H2Frame[] = [];
  const waiters = new Set<{ match: (frame: H2Frame) => boolean; resolve: (frame: H2Frame) => void }>();
  let pending = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 9) {
      const length = pending.readUIntBE(0, 3);
      if (pending.length < 9 + length) break;
      const frame = {
        type: pending[3] ?? 0,
        flags: pending[4] ?? 0,
        streamId: pending.readUInt32BE(5) & 0x7fffffff,
        payload: pending.subarray(9, 9 + length),
      };
      pending = pending.subarray(9 + length);
      frames.push(frame);
      if (frame.type === H2.SETTINGS && !(frame.flags & H2.ACK)) socket.write(h2Frame(H2.SETTINGS, H2.ACK, 0));
      for (const waiter of waiters) {
        if (waiter.match(frame)) {
          waiters.delete(waiter);
          waiter.resolve(frame);
        }
      }
    }
  });
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  const connection: RawH2Connection = {
    socket,
    frames,
    send: (...out) => {
      socket.write(Buffer.concat(out));
    },
    next: (match, timeoutMs = 5000) => {
      const seen = frames.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching HTTP/2 frame within ${timeoutMs} ms`));
        }, timeoutMs);
        const waiter = {
          match,
          resolve: (frame: H2Frame) => {
            clearTimeout(timer);
            resolve(frame);
          },
        };
        waiters.add(waiter);
      });
    },
    closed,
  };
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      socket.write(Buffer.concat([H2.PREFACE, h2Frame(H2.SETTINGS, 0, 0)]));
      resolve(connection);
    });
  });
}
