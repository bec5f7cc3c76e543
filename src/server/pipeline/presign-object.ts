import type { HandlerContext } from "@connectrpc/connect";
import type { BucketEndpoint } from "../../core/bucket-endpoint.js";
import type { SigningContext } from "../../core/signer.js";
import type { StoreRequest } from "../../core/store-profile.js";
import type { Granted } from "../access/access.js";
import { type ObjectRef, resolveObject } from "./object-ref.js";
import { storeStage } from "./store-stage.js";

/** What a presign of one object signs with: the bucket, the key decided on, the signing context. */
export interface SignInput {
  readonly endpoint: BucketEndpoint;
  readonly granted: Granted;
  readonly context: SigningContext;
}

/**
 * The stages a presign of one object passes, in one place: resolve the
 * object (bucket/key or handle) → authorise it (as the handle's minter) →
 * refuse what the bucket's store cannot do (`store`) → sign exactly the key
 * decided on, within the lifetime allowed → record the
 * allow decision with the lifetime signed. Handlers give only the signing
 * step; no handler can forget the audit record of what it signed.
 */
export async function presignObject<T extends { readonly expiresAt: Date }>(
  deps: Parameters<typeof resolveObject>[0],
  ctx: HandlerContext,
  ref: ObjectRef,
  request: Parameters<typeof resolveObject>[3],
  store: StoreRequest,
  sign: (input: SignInput) => Promise<T>,
): Promise<T> {
  const { endpoint, granted } = await resolveObject(deps, ctx, ref, request);
  const { maxTtlSeconds } = storeStage(deps.signing, endpoint, store, granted.maxTtlSeconds);
  const context = await deps.signing.context(maxTtlSeconds);
  const signed = await sign({ endpoint, granted, context });
  granted.signed(signed.expiresAt, context.now);
  return signed;
}
