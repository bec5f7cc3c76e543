import type { HandlerContext } from "@connectrpc/connect";
import type { BucketEndpoint } from "../../core/bucket-endpoint.js";
import { secondsLeft } from "../../core/expiry.js";
import type { Operation } from "../../core/policy/policy.js";
import { invalidField, PresignError } from "../../core/presign-error.js";
import type { Access, Granted } from "../access/access.js";
import type { Handles } from "../handles/handles.js";
import type { Signing } from "../s3/signing.js";

/** A request's object: named by bucket and key, or by a handle. */
export interface ObjectRef {
  readonly bucket: string;
  readonly key: string;
  readonly handle: string;
}

export interface ResolvedObject {
  readonly endpoint: BucketEndpoint;
  readonly granted: Granted;
}

/**
 * Resolves the object of a request and authorises the operation on it: for a
 * handle, as its minter (the handle allows what they may do, nothing more).
 */
export async function resolveObject(
  deps: { signing: Signing; access: Access; handles: Handles },
  ctx: HandlerContext,
  ref: ObjectRef,
  request: Omit<Parameters<Access["check"]>[1], "bucket" | "key">,
): Promise<ResolvedObject> {
  if (!ref.handle) {
    const endpoint = deps.signing.bucket(ref.bucket);
    return { endpoint, granted: deps.access.check(ctx, { ...request, bucket: endpoint.bucket, key: ref.key }) };
  }
  if (ref.key || ref.bucket) throw invalidField("handle", "send either a handle or bucket and key, not both");
  const now = new Date();
  const claims = await deps.handles.open(ref.handle, now);
  if (!handleAllows(claims.operations, request.operation)) {
    throw new PresignError("permission_denied", `permission denied: the handle does not allow ${request.operation}`);
  }
  const endpoint = deps.signing.bucket(claims.bucket);
  const granted = deps.access.check(ctx, { ...request, bucket: endpoint.bucket, key: claims.key }, claims.minter);
  // A URL signed through a handle ends no later than the handle.
  const left = secondsLeft(claims.expiresAt, now, "handle");
  return { endpoint, granted: { ...granted, maxTtlSeconds: Math.min(granted.maxTtlSeconds ?? left, left) } };
}

/** What a handle allows: its operations, and confirming the upload one of them allows. */
function handleAllows(operations: readonly Operation[], operation: Operation): boolean {
  if (operation === "confirm") return operations.includes("put") || operations.includes("post");
  return operations.includes(operation);
}
