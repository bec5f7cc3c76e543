import type { HandlerContext } from "@connectrpc/connect";
import type { BucketEndpoint } from "../../core/bucket-endpoint.js";
import { PresignError } from "../../core/presign-error.js";
import type { SigningContext } from "../../core/signer.js";
import type { StoreRequest } from "../../core/store-profile.js";
import type { UploadExpectation } from "../../core/upload-expectation.js";
import type { Granted } from "../access/access.js";
import { ANONYMOUS, PRINCIPAL } from "../auth/principal.js";
import type { UploadKind, UploadLedger } from "../uploads/upload-ledger.js";
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
 * decided on, within the lifetime allowed → record the allow decision with
 * the lifetime signed → for an upload, record what was signed in the ledger
 * (ConfirmUpload checks objects against it). Handlers give only the signing
 * step; no handler can forget the audit record of what it signed.
 */
export async function presignObject<T extends { readonly expiresAt: Date }>(
  deps: Parameters<typeof resolveObject>[0] & { readonly ledger?: UploadLedger | undefined },
  ctx: HandlerContext,
  ref: ObjectRef,
  request: Parameters<typeof resolveObject>[3],
  store: StoreRequest,
  sign: (input: SignInput) => Promise<T>,
  /** For an upload of an exact key: what it must be, as decided. */
  upload?: (granted: Granted) => { readonly kind: UploadKind; readonly expectation: UploadExpectation },
): Promise<T> {
  const { endpoint, granted } = await resolveObject(deps, ctx, ref, request);
  const { maxTtlSeconds } = storeStage(deps.signing, endpoint, store, granted.maxTtlSeconds);
  const context = await deps.signing.context(maxTtlSeconds);
  const signed = await sign({ endpoint, granted, context });
  if (upload) {
    const what = { bucket: endpoint.bucket, key: granted.key, ...upload(granted) };
    await recordUpload(deps.ledger, ctx, what, signed.expiresAt, context.now);
  }
  granted.signed(signed.expiresAt, context.now);
  return signed;
}

/** Records a signed upload in the ledger, when the server has one. */
export async function recordUpload(
  ledger: UploadLedger | undefined,
  ctx: HandlerContext,
  upload: {
    readonly bucket: string;
    readonly key: string;
    readonly kind: UploadKind;
    readonly expectation: UploadExpectation;
    readonly uploadId?: string;
  },
  expiresAt: Date,
  now: Date,
): Promise<void> {
  if (!ledger) return;
  await ledger
    .record({ ...upload, signer: ctx.values.get(PRINCIPAL) ?? ANONYMOUS, signedAt: now, expiresAt })
    .catch(ledgerUnavailable);
}

/** The ledger is in the handle store: its failure is the server's trouble, and retryable. */
export function ledgerUnavailable(error: unknown): never {
  throw new PresignError("unavailable", "the handle store is unavailable; retry later", undefined, {
    cause: error instanceof Error ? error : new Error(String(error)),
  });
}
