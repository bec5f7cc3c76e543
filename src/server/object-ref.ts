import type { HandlerContext } from "@connectrpc/connect";
import type { BucketEndpoint } from "../core/bucket-endpoint.js";
import type { Operation, Principal } from "../core/policy/policy.js";
import { invalidField, PresignError } from "../core/presign-error.js";
import type { Access, Granted } from "./access.js";
import type { Handles } from "./handles/handles.js";
import type { Signing } from "./signing.js";

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
  let bucket = ref.bucket;
  let key = ref.key;
  let minter: Principal | undefined;
  if (ref.handle) {
    if (ref.key || ref.bucket) throw invalidField("handle", "send either a handle or bucket and key, not both");
    const claims = await deps.handles.open(ref.handle, new Date());
    if (!claims.operations.includes(request.operation as Operation)) {
      throw new PresignError("permission_denied", `permission denied: the handle does not allow ${request.operation}`);
    }
    ({ bucket, key } = claims);
    minter = claims.minter;
  }
  const endpoint = deps.signing.bucket(bucket);
  return { endpoint, granted: deps.access.check(ctx, { ...request, bucket: endpoint.bucket, key }, minter) };
}
