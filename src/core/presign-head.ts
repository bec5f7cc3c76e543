import { type BucketEndpoint, objectPath } from "./bucket-endpoint.js";
import { cacheWindowOption } from "./cache-window.js";
import type { RequestedTtl } from "./expiry.js";
import { checkObjectKey } from "./object-key.js";
import { type PresignedHttpRequest, type SigningContext, signRequest } from "./signer.js";
import { checkVersionId } from "./version-id.js";

export interface HeadObjectInput {
  readonly key: string;
  readonly versionId?: string;
  readonly expiresIn?: RequestedTtl;
  /** Sign as of the start of a cache window this long, in seconds (resolveCacheWindow gives it). */
  readonly cacheWindowSeconds?: number;
}

/** Presigns a HEAD of one object (S3 HeadObject): its headers without the bytes. */
export async function presignHead(
  endpoint: BucketEndpoint,
  input: HeadObjectInput,
  ctx: SigningContext,
): Promise<PresignedHttpRequest> {
  const key = checkObjectKey(input.key);
  // The SDK's HeadObject sends no x-id (its path and method are unique).
  const query: Record<string, string> = {};
  if (input.versionId) query.versionId = checkVersionId(input.versionId);
  return signRequest(
    endpoint,
    {
      method: "HEAD",
      path: objectPath(endpoint, key),
      query,
      headers: {},
      expiresIn: input.expiresIn,
      ...cacheWindowOption(input),
    },
    ctx,
  );
}
