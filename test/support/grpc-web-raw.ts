/**
 * The status of a gRPC-Web response body: its trailers frame (flags 0x80),
 * "name: value" lines, with grpc-message percent-decoded.
 */
export function grpcWebStatus(body: Buffer): { code: number; message: string } {
  for (let at = 0; at + 5 <= body.byteLength; ) {
    const flags = body[at] ?? 0;
    const length = body.readUInt32BE(at + 1);
    const frame = body.subarray(at + 5, at + 5 + length);
    at += 5 + length;
    if ((flags & 0x80) === 0) continue;
    const trailers = new Map<string, string>();
    for (const line of frame.toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      if (colon > 0) trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    return {
      code: Number(trailers.get("grpc-status") ?? Number.NaN),
      message: decodeURIComponent(trailers.get("grpc-message") ?? ""),
    };
  }
  throw new Error("no gRPC-Web trailers frame in the response body");
}
