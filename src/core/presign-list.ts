import { type BucketEndpoint, bucketPath } from "./bucket-endpoint.js";
import type { RequestedTtl } from "./expiry.js";
import { checkKeyText, checkObjectKey } from "./object-key.js";
import { type PresignedHttpRequest, type SigningContext, signRequest } from "./signer.js";

/** The most keys one ListObjectsV2 answer holds (S3's limit and default). */
export const MAX_LIST_KEYS = 1000;
/** presignd's bound on a delimiter (S3 sets none; "/" is the common one). */
export const MAX_DELIMITER_BYTES = 16;

export interface ListObjectsInput {
  /** "" lists the whole bucket. */
  readonly prefix: string;
  readonly delimiter?: string;
  /** 1 to 1000; 0 or unset is S3's default. */
  readonly maxKeys?: number;
  readonly startAfter?: string;
  readonly continuationToken?: string;
  readonly expiresIn?: RequestedTtl;
}

/**
 * Presigns S3 ListObjectsV2 of the keys under one prefix. Every parameter is
 * in the signed query, so S3 refuses the URL with any other prefix (or an
 * added or removed parameter): the prefix authorised is the prefix listed.
 */
export async function presignList(
  endpoint: BucketEndpoint,
  input: ListObjectsInput,
  ctx: SigningContext,
): Promise<PresignedHttpRequest> {
  const query: Record<string, string> = { "list-type": "2" };
  // Always signed, also when empty: the URL lists exactly this prefix.
  query.prefix = checkObjectKey(input.prefix, "prefix", { allowEmpty: true });
  if (input.delimiter) query.delimiter = checkKeyText(input.delimiter, "delimiter", MAX_DELIMITER_BYTES);
  // 0 to 1000: the proto's max_keys bounds, checked before any handler runs.
  if (input.maxKeys) query["max-keys"] = String(input.maxKeys);
  if (input.startAfter) query["start-after"] = checkKeyText(input.startAfter, "start_after");
  // Opaque to us (AWS: base64; RGW: a key), bounded like a key.
  if (input.continuationToken) {
    query["continuation-token"] = checkKeyText(input.continuationToken, "continuation_token");
  }
  return signRequest(
    endpoint,
    { method: "GET", path: bucketPath(endpoint), query, headers: {}, expiresIn: input.expiresIn },
    ctx,
  );
}
