import { Crc32c } from "@aws-crypto/crc32c";
import { ChecksumAlgorithm } from "../../gen/client/presign/v1/presign_pb.js";
import { TransferError } from "../errors.js";
import { bytesPayload, type Payload } from "./payload.js";

/** The per-part checksums an upload can sign (`checksum` of upload()). */
export type PartChecksumAlgorithm = "crc32c" | "sha256";

/** How each algorithm is named in the contract and in S3's XML (CompleteMultipartUpload, ListParts). @private */
export const PART_CHECKSUMS: Readonly<
  Record<PartChecksumAlgorithm, { readonly message: ChecksumAlgorithm; readonly xmlElement: string }>
> = {
  crc32c: { message: ChecksumAlgorithm.CRC32C, xmlElement: "ChecksumCRC32C" },
  sha256: { message: ChecksumAlgorithm.SHA256, xmlElement: "ChecksumSHA256" },
};

/** A part's CRC32C, accumulated over its chunks as they are read (no second pass). @private */
export function crc32cOf(): { update(chunk: Uint8Array): void; base64(): string } {
  const crc = new Crc32c();
  return {
    update: (chunk) => {
      crc.update(chunk);
    },
    base64: () => {
      const n = crc.digest() >>> 0;
      return base64(new Uint8Array([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]));
    },
  };
}

/** SHA-256 of a buffered part with WebCrypto (browsers and Node alike). @private */
export async function sha256Of(bytes: Uint8Array): Promise<string> {
  return base64(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>)));
}

/** A part read once into memory with its checksum: the bytes then go up from that buffer (re-sendable). @private */
export async function checksummedPayload(
  payload: Payload,
  algorithm: PartChecksumAlgorithm,
): Promise<{ payload: Payload; checksum: string }> {
  const bytes = new Uint8Array(payload.size);
  const crc = algorithm === "crc32c" ? crc32cOf() : undefined;
  let filled = 0;
  for await (const chunk of iterate(payload.stream())) {
    if (filled + chunk.byteLength > bytes.byteLength)
      throw new TransferError("the source grew while it was read", false);
    bytes.set(chunk, filled);
    filled += chunk.byteLength;
    crc?.update(chunk);
  }
  if (filled !== bytes.byteLength) throw new TransferError("the source shrank while it was read", false);
  return { payload: bytesPayload(bytes), checksum: crc ? crc.base64() : await sha256Of(bytes) };
}

async function* iterate(stream: AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (Symbol.asyncIterator in stream) {
    yield* stream as AsyncIterable<Uint8Array>;
    return;
  }
  const reader = (stream as ReadableStream<Uint8Array>).getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}
