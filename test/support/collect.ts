import { Writable } from "node:stream";

/** A Node Writable that keeps what it is given. */
export function collector(): { writable: Writable; bytes(): Buffer } {
  const chunks: Buffer[] = [];
  const writable = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { writable, bytes: () => Buffer.concat(chunks) };
}
