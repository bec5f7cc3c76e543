import { type BucketEndpoint, objectPath } from "./bucket-endpoint.js";
import { MiB } from "./byte-size.js";
import type { RequestedTtl } from "./expiry.js";
import { checkBase64Digest, checkContentType, metadataHeaders } from "./http-fields.js";
import { checkObjectKey } from "./object-key.js";
import { type ChecksumAlgorithm, partChecksumHeader } from "./part-checksum.js";
import { invalidField } from "./presign-error.js";
import { type PresignedHttpRequest, type SigningContext, signRequest } from "./signer.js";

/** S3's multipart limits. */
export const MIN_PART_BYTES = 5 * MiB;
export const MAX_PART_BYTES = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;
export const MAX_OBJECT_BYTES = 5 * 1024 * 1024 * MiB;
/** Part size when the caller names none and the upload fits in 10,000 of them. */
export const DEFAULT_PART_BYTES = 8 * MiB;

/**
 * How an upload is cut: every part but the last is at most `partSize`, part
 * numbers run 1..maxParts, and the last possible part ends at `maxSize` —
 * so whatever parts get presigned, the object cannot exceed `maxSize`.
 */
export interface PartLayout {
  readonly maxSize: number;
  readonly partSize: number;
  readonly maxParts: number;
}

/** The layout for a maximum size and an optional part size (0: choose). */
export function planParts(maxSize: number, partSize = 0): PartLayout {
  if (!Number.isSafeInteger(maxSize) || maxSize < 1) throw invalidField("max_size", "is required (bytes, > 0)");
  if (maxSize > MAX_OBJECT_BYTES) {
    throw invalidField("max_size", `${maxSize} exceeds 5 TiB (${MAX_OBJECT_BYTES}), S3's largest object`);
  }
  let size = partSize;
  if (size === 0) {
    // The smallest whole number of MiB that fits the upload in 10,000 parts.
    size = Math.max(DEFAULT_PART_BYTES, Math.ceil(maxSize / MAX_PARTS / MiB) * MiB);
  } else if (!Number.isSafeInteger(size) || size < MIN_PART_BYTES || size > MAX_PART_BYTES) {
    throw invalidField("part_size", `must be 5 MiB (${MIN_PART_BYTES}) to 5 GiB (${MAX_PART_BYTES}), got ${partSize}`);
  }
  const maxParts = Math.max(1, Math.ceil(maxSize / size));
  if (maxParts > MAX_PARTS) {
    throw invalidField(
      "part_size",
      `${size} bytes would need ${maxParts} parts for max_size ${maxSize}; S3 allows ${MAX_PARTS} (use at least ${Math.ceil(maxSize / MAX_PARTS)})`,
    );
  }
  return { maxSize, partSize: size, maxParts };
}

/** Checks one part against the layout; `field` names it in errors, e.g. "parts[3]". */
export function checkPart(layout: PartLayout, partNumber: number, contentLength: number, field: string): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > layout.maxParts) {
    throw invalidField(
      `${field}.part_number`,
      `must be 1 to ${layout.maxParts} for this upload (max_size ${layout.maxSize}, part_size ${layout.partSize}), got ${partNumber}`,
    );
  }
  const room = Math.min(layout.partSize, layout.maxSize - (partNumber - 1) * layout.partSize);
  if (!Number.isSafeInteger(contentLength) || contentLength < 1 || contentLength > room) {
    throw invalidField(
      `${field}.content_length`,
      `must be 1 to ${room} bytes for part ${partNumber} of this upload, got ${contentLength}`,
    );
  }
}

export interface CreateMultipartInput {
  readonly key: string;
  readonly contentType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The checked headers S3's CreateMultipartUpload stores with the object. */
export function createMultipartHeaders(input: CreateMultipartInput): {
  key: string;
  contentType?: string;
  metadata: Record<string, string>;
} {
  const key = checkObjectKey(input.key);
  const metadata: Record<string, string> = {};
  for (const [name, value] of metadataHeaders(input.metadata ?? {})) metadata[name.slice("x-amz-meta-".length)] = value;
  return {
    key,
    ...(input.contentType ? { contentType: checkContentType(input.contentType, "content_type") } : {}),
    metadata,
  };
}

/** What every request of one upload shares. */
export interface UploadTarget {
  readonly key: string;
  readonly uploadId: string;
  /** The upload's per-part checksum algorithm (CreateMultipartUpload's checksum_algorithm), if any. */
  readonly checksumAlgorithm?: ChecksumAlgorithm | undefined;
}

export interface UploadPartInput {
  readonly partNumber: number;
  readonly contentLength: number;
  readonly contentMd5?: string;
  /** Base64 of the part's checksum in the upload's algorithm; "" or absent: none. */
  readonly checksum?: string;
  /** e.g. "parts[2]" for errors. */
  readonly field: string;
}

/**
 * Presigns S3 UploadPart: a PUT of exactly `contentLength` bytes, and, for an
 * upload with a checksum algorithm, of bytes with exactly the part's signed
 * checksum (x-amz-checksum-crc32c or -sha256: S3 verifies it; the signature
 * binds the value). S3 needs no x-amz-sdk-checksum-algorithm beside it.
 */
export function presignUploadPart(
  endpoint: BucketEndpoint,
  target: UploadTarget,
  layout: PartLayout,
  part: UploadPartInput,
  expiresIn: RequestedTtl | undefined,
  ctx: SigningContext,
): Promise<PresignedHttpRequest> {
  checkPart(layout, part.partNumber, part.contentLength, part.field);
  const headers: Record<string, string> = { "content-length": String(part.contentLength) };
  if (part.contentMd5) headers["content-md5"] = checkBase64Digest(part.contentMd5, 16, `${part.field}.content_md5`);
  Object.assign(headers, partChecksumHeader(target.checksumAlgorithm, part.checksum ?? "", `${part.field}.checksum`));
  return signRequest(
    endpoint,
    {
      method: "PUT",
      path: objectPath(endpoint, target.key),
      query: { "x-id": "UploadPart", partNumber: String(part.partNumber), uploadId: target.uploadId },
      headers,
      expiresIn,
    },
    ctx,
  );
}

/** Presigns S3 ListParts (up to 1,000 parts after `partNumberMarker`). */
export function presignListParts(
  endpoint: BucketEndpoint,
  target: UploadTarget,
  partNumberMarker: number,
  expiresIn: RequestedTtl | undefined,
  ctx: SigningContext,
): Promise<PresignedHttpRequest> {
  const marker: Record<string, string> = partNumberMarker > 0 ? { "part-number-marker": String(partNumberMarker) } : {};
  return presignUploadRequest(endpoint, target, "GET", "ListParts", marker, expiresIn, ctx);
}

/** Presigns S3 CompleteMultipartUpload; the caller POSTs the XML part list. */
export function presignCompleteMultipart(
  endpoint: BucketEndpoint,
  target: UploadTarget,
  expiresIn: RequestedTtl | undefined,
  ctx: SigningContext,
): Promise<PresignedHttpRequest> {
  return presignUploadRequest(endpoint, target, "POST", "CompleteMultipartUpload", {}, expiresIn, ctx);
}

/** Presigns S3 AbortMultipartUpload (DELETE). */
export function presignAbortMultipart(
  endpoint: BucketEndpoint,
  target: UploadTarget,
  expiresIn: RequestedTtl | undefined,
  ctx: SigningContext,
): Promise<PresignedHttpRequest> {
  return presignUploadRequest(endpoint, target, "DELETE", "AbortMultipartUpload", {}, expiresIn, ctx);
}

/** A bodyless request about the whole upload: no headers but Host are signed. */
function presignUploadRequest(
  endpoint: BucketEndpoint,
  target: UploadTarget,
  method: "GET" | "POST" | "DELETE",
  operation: string,
  query: Record<string, string>,
  expiresIn: RequestedTtl | undefined,
  ctx: SigningContext,
): Promise<PresignedHttpRequest> {
  return signRequest(
    endpoint,
    {
      method,
      path: objectPath(endpoint, target.key),
      query: { "x-id": operation, uploadId: target.uploadId, ...query },
      headers: {},
      expiresIn,
    },
    ctx,
  );
}
