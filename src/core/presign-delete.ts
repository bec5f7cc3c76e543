import { type BucketEndpoint, objectPath } from "./bucket-endpoint.js";
import type { RequestedTtl } from "./expiry.js";
import { checkObjectKey } from "./object-key.js";
import { type PresignedHttpRequest, type SigningContext, signRequest } from "./signer.js";
import { checkVersionId } from "./version-id.js";

export interface DeleteObjectInput {
  readonly key: string;
  /** Deletes this version for good; without it S3 deletes the latest (a delete marker when versioned). */
  readonly versionId?: string;
  readonly expiresIn?: RequestedTtl;
}

/** Presigns a DELETE of one object (S3 DeleteObject). */
export async function presignDelete(
  endpoint: BucketEndpoint,
  input: DeleteObjectInput,
  ctx: SigningContext,
): Promise<PresignedHttpRequest> {
  const key = checkObjectKey(input.key);
  const query: Record<string, string> = { "x-id": "DeleteObject" };
  if (input.versionId) query.versionId = checkVersionId(input.versionId);
  return signRequest(
    endpoint,
    { method: "DELETE", path: objectPath(endpoint, key), query, headers: {}, expiresIn: input.expiresIn },
    ctx,
  );
}
