import { checkBase64Digest } from "./http-fields.js";
import { invalidField } from "./presign-error.js";

/** The per-part checksum algorithms presignd signs (S3's flexible checksums, COMPOSITE type). */
export const CHECKSUM_ALGORITHMS = ["crc32c", "sha256"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

/** What S3 calls each algorithm, where it sends the value and how long the digest is. */
export interface ChecksumSpec {
  /** S3's ChecksumAlgorithm value (CreateMultipartUpload). */
  readonly s3Name: "CRC32C" | "SHA256";
  /** The header UploadPart carries the part's checksum in (signed). */
  readonly header: "x-amz-checksum-crc32c" | "x-amz-checksum-sha256";
  /** The element of a CompleteMultipartUpload <Part> (and of ListParts) with the part's checksum. */
  readonly xmlElement: "ChecksumCRC32C" | "ChecksumSHA256";
  /** The digest's length in bytes. */
  readonly bytes: number;
  /** Its name in messages. */
  readonly label: string;
}

export const CHECKSUM_SPECS: Readonly<Record<ChecksumAlgorithm, ChecksumSpec>> = {
  crc32c: {
    s3Name: "CRC32C",
    header: "x-amz-checksum-crc32c",
    xmlElement: "ChecksumCRC32C",
    bytes: 4,
    label: "CRC32C",
  },
  sha256: {
    s3Name: "SHA256",
    header: "x-amz-checksum-sha256",
    xmlElement: "ChecksumSHA256",
    bytes: 32,
    label: "SHA-256",
  },
};

/**
 * The signed checksum header of one part, or none: a part of an upload with
 * a checksum algorithm needs its checksum (the base64 of exactly that
 * digest's bytes), and a part of an upload without one may carry none.
 * `field` names the part's checksum field in errors, e.g. "parts[2].checksum".
 */
export function partChecksumHeader(
  algorithm: ChecksumAlgorithm | undefined,
  checksum: string,
  field: string,
): Record<string, string> {
  if (algorithm === undefined) {
    if (checksum !== "") throw invalidField(field, "the upload was created without checksum_algorithm; send none");
    return {};
  }
  const spec = CHECKSUM_SPECS[algorithm];
  if (checksum === "") {
    throw invalidField(field, `is required: the upload was created with checksum_algorithm ${spec.s3Name}`);
  }
  const chars = 4 * Math.ceil(spec.bytes / 3);
  return {
    [spec.header]: checkBase64Digest(
      checksum,
      spec.bytes,
      field,
      `the part's ${spec.bytes}-byte ${spec.label} (${chars} characters)`,
    ),
  };
}
