import { normalizeKey } from "../../src/core/policy/key-normalization.js";
import type { AccessRequest } from "../../src/core/policy/policy.js";

/** An AccessRequest for `key` in bucket "b", normalised as the server does (undefined when it cannot be). */
export function accessRequest(
  key: string,
  extra: Partial<AccessRequest> = {},
  operation: AccessRequest["operation"] = "get",
): AccessRequest {
  let normalizedKey: string | undefined;
  try {
    normalizedKey = normalizeKey(key);
  } catch {
    normalizedKey = undefined;
  }
  return { operation, bucket: "b", key, normalizedKey, keyIsPrefix: false, metadataNames: [], ...extra };
}
