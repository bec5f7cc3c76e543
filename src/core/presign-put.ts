import { type BucketEndpoint, objectPath } from "./bucket-endpoint.js";
import type { RequestedTtl } from "./expiry.js";
import { checkBase64Digest, checkContentType, metadataHeaders } from "./http-fields.js";
import { checkObjectKey } from "./object-key.js";
import { type PresignedHttpRequest, type SigningContext, signRequest } from "./signer.js";

/** S3's limit for one PUT: 5 GiB. */
export const MAX_SINGLE_PUT_BYTES = 5n * 1024n ** 3n;

export interface PutObjectInput {
  readonly key: string;
  readonly contentLength: bigint;
  readonly contentType?: string;
  readonly contentMd5?: string;
  readonly checksumSha256?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly expiresIn?: RequestedTtl;
}

/**
 * Presigns a single PUT (S3 PutObject). The exact length, and every optional
 * header given, is signed: S3 refuses a body or header that differs.
 */
export async function presignPut(
  endpoint: BucketEndpoint,
  input: PutObjectInput,
  ctx: SigningContext,
): Promise<PresignedHttpRequest> {
  const key = checkObjectKey(input.key);
  // 0 to 5 GiB (the proto's content_length bounds, checked before any handler
  // runs); 0 is an empty object: S3 stores 0-byte objects (Content-Length: 0 is signed).
  const length = input.contentLength;
  const headers: Record<string, string> = { "content-length": length.toString() };
  if (input.contentType) headers["content-type"] = checkContentType(input.contentType, "content_type");
  if (input.contentMd5) headers["content-md5"] = checkBase64Digest(input.contentMd5, 16, "content_md5");
  if (input.checksumSha256) {
    headers["x-amz-checksum-sha256"] = checkBase64Digest(input.checksumSha256, 32, "checksum_sha256");
  }
  for (const [name, value] of metadataHeaders(input.metadata ?? {})) headers[name] = value;
  return signRequest(
    endpoint,
    {
      method: "PUT",
      path: objectPath(endpoint, key),
      query: { "x-id": "PutObject" },
      headers,
      expiresIn: input.expiresIn,
    },
    ctx,
  );
}
