import { createHash } from "node:crypto";
import { Crc32c } from "@aws-crypto/crc32c";

/** Base64 of the big-endian CRC32C of `bytes`, as S3's x-amz-checksum-crc32c carries it. */
export function crc32cBase64(bytes: Uint8Array): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(new Crc32c().update(bytes).digest() >>> 0);
  return b.toString("base64");
}

/** Base64 of the SHA-256 of `bytes`, as S3's x-amz-checksum-sha256 carries it. */
export function sha256Base64(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("base64");
}
