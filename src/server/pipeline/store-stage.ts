import type { BucketEndpoint } from "../../core/bucket-endpoint.js";
import { checkStoreRequest, type StoreProfile, type StoreRequest } from "../../core/store-profile.js";
import type { Signing } from "../s3/signing.js";

/**
 * The store stage of every presign: what the bucket's store cannot do is
 * refused here, before signing (failed_precondition naming the store and the
 * field). Gives the profile and the longest lifetime to sign for.
 */
export function storeStage(
  signing: Signing,
  endpoint: BucketEndpoint,
  request: StoreRequest,
  grantedMaxTtlSeconds: number | undefined,
): { profile: StoreProfile; maxTtlSeconds: number } {
  const profile = signing.store(endpoint);
  checkStoreRequest(profile, request);
  return { profile, maxTtlSeconds: storeMaxTtl(profile, grantedMaxTtlSeconds) };
}

/** A URL lives no longer than the policy grants and the store honours. */
export function storeMaxTtl(profile: StoreProfile, grantedMaxTtlSeconds: number | undefined): number {
  return Math.min(grantedMaxTtlSeconds ?? profile.maxTtlSeconds, profile.maxTtlSeconds);
}
