import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { resolveExpiry, secondsLeft } from "../../../core/expiry.js";
import { CHECKSUM_SPECS, type ChecksumAlgorithm } from "../../../core/part-checksum.js";
import { invalidField } from "../../../core/presign-error.js";
import {
  createMultipartHeaders,
  planParts,
  presignAbortMultipart,
  presignCompleteMultipart,
  presignListParts,
  presignUploadPart,
} from "../../../core/presign-multipart.js";
import type { SigningContext } from "../../../core/signer.js";
import { checkEqualParts, checkOneChecksumPerPart } from "../../../core/store-profile.js";
import {
  type AbortMultipartUploadRequest,
  ChecksumAlgorithm as ChecksumAlgorithmMessage,
  type CompleteMultipartUploadRequest,
  type CreateMultipartUploadRequest,
  type CreateMultipartUploadResponseSchema,
  type ListPartsRequest,
  type PresignUploadPartsRequest,
  type PresignUploadPartsResponseSchema,
} from "../../../gen/presign/v1/presign_pb.js";
import { ANONYMOUS, PRINCIPAL } from "../../auth/principal.js";
import { s3Failure } from "../../s3/s3-failure.js";
import type { UploadClaims } from "../../tokens/upload-tokens.js";
import { recordUpload } from "../presign-object.js";
import { storeMaxTtl, storeStage } from "../store-stage.js";
import { type PresignedRequestInit, presignedMessage } from "./presigned-message.js";
import type { RouteDeps } from "./route-deps.js";

/** An upload token lives 24 h unless the caller asks otherwise (capped like URLs). */
const DEFAULT_UPLOAD_SECONDS = 24 * 3600;

/** The contract's checksum algorithms, as the core names them (UNSPECIFIED: none). */
const CHECKSUM_ALGORITHM: Readonly<Partial<Record<ChecksumAlgorithmMessage, ChecksumAlgorithm>>> = {
  [ChecksumAlgorithmMessage.CRC32C]: "crc32c",
  [ChecksumAlgorithmMessage.SHA256]: "sha256",
};

/** CreateMultipartUpload: authorise, start the upload at S3, seal the token. */
export function createMultipartUpload(deps: RouteDeps) {
  return async (
    req: CreateMultipartUploadRequest,
    ctx: HandlerContext,
  ): Promise<MessageInitShape<typeof CreateMultipartUploadResponseSchema>> => {
    const endpoint = deps.signing.bucket(req.bucket);
    const layout = planParts(Number(req.maxSize), Number(req.partSize));
    const headers = createMultipartHeaders(req);
    const checksumAlgorithm = CHECKSUM_ALGORITHM[req.checksumAlgorithm];
    const granted = deps.access.check(ctx, {
      operation: "multipart",
      bucket: endpoint.bucket,
      key: headers.key,
      contentLength: req.maxSize,
      contentType: req.contentType,
      metadataNames: Object.keys(req.metadata),
    });
    const { profile, maxTtlSeconds } = storeStage(
      deps.signing,
      endpoint,
      { rpc: "CreateMultipartUpload", contentType: req.contentType, checksumAlgorithm: checksumAlgorithm ?? "" },
      granted.maxTtlSeconds,
    );
    const context = await deps.signing.context(maxTtlSeconds);
    const expiry = resolveExpiry(
      req.expiresIn,
      { ...context.ttl, defaultSeconds: Math.min(DEFAULT_UPLOAD_SECONDS, context.ttl.maxSeconds) },
      context.now,
    );
    let uploadId: string;
    try {
      uploadId = await deps.createMultipartUpload(
        {
          bucket: endpoint.bucket,
          key: granted.key,
          ...(headers.contentType ? { contentType: headers.contentType } : {}),
          metadata: headers.metadata,
          ...(checksumAlgorithm ? { checksumAlgorithm: CHECKSUM_SPECS[checksumAlgorithm].s3Name } : {}),
        },
        ctx.signal,
      );
    } catch (error) {
      throw s3Failure("CreateMultipartUpload", error);
    }
    const owner = ctx.values.get(PRINCIPAL) ?? ANONYMOUS;
    const uploadToken = await deps.uploads.seal({
      uploadId,
      bucket: endpoint.bucket,
      key: granted.key,
      owner,
      layout,
      equalParts: profile.equalParts,
      checksumAlgorithm,
      expiresAt: expiry.expiresAt,
    });
    // Unrecorded, the upload would be invisible to the reaper: abort it rather than orphan it.
    await recordUpload(
      deps.ledger,
      ctx,
      {
        bucket: endpoint.bucket,
        key: granted.key,
        kind: "multipart",
        uploadId,
        expectation: {
          maxLength: req.maxSize,
          ...(headers.contentType ? { contentType: headers.contentType } : {}),
          ...(Object.keys(req.metadata).length > 0 ? { metadata: req.metadata } : {}),
        },
      },
      expiry.expiresAt,
      context.now,
    ).catch((error: unknown) => {
      deps.abortMultipartUpload({ bucket: endpoint.bucket, key: granted.key, uploadId }).catch(() => {});
      throw error;
    });
    deps.uploadEvents?.uploadEvent("started");
    granted.signed(expiry.expiresAt, context.now);
    return {
      uploadToken,
      uploadId,
      partSize: BigInt(layout.partSize),
      maxParts: layout.maxParts,
      expiresAt: timestampFromDate(expiry.expiresAt),
      equalParts: profile.equalParts,
      checksumAlgorithm: checksumAlgorithm ? req.checksumAlgorithm : ChecksumAlgorithmMessage.UNSPECIFIED,
    };
  };
}

/** PresignUploadParts: one PUT per part, each of its exact, checked length. */
export function presignUploadParts(deps: RouteDeps) {
  return async (
    req: PresignUploadPartsRequest,
    ctx: HandlerContext,
  ): Promise<MessageInitShape<typeof PresignUploadPartsResponseSchema>> => {
    const { claims, context } = await openUpload(deps, ctx, req.uploadToken, "upload_part");
    const endpoint = deps.signing.bucket(claims.bucket);
    const seen = new Set<number>();
    const parts = [];
    for (const [i, part] of req.parts.entries()) {
      if (seen.has(part.partNumber)) {
        throw invalidField(`parts[${i}].part_number`, `${part.partNumber} is listed twice`);
      }
      seen.add(part.partNumber);
      const signed = await presignUploadPart(
        endpoint,
        claims,
        claims.layout,
        {
          partNumber: part.partNumber,
          contentLength: Number(part.contentLength),
          contentMd5: part.contentMd5,
          checksum: part.checksum,
          field: `parts[${i}]`,
        },
        req.expiresIn,
        context,
      );
      parts.push({ partNumber: part.partNumber, request: presignedMessage(signed) });
    }
    // After each part's own checks (invalid_argument first), before any URL leaves.
    const store = deps.signing.store(endpoint);
    if (claims.equalParts) {
      const sizes = req.parts.map((p) => ({ partNumber: p.partNumber, contentLength: Number(p.contentLength) }));
      checkEqualParts(store, claims.layout.partSize, sizes);
    }
    checkOneChecksumPerPart(store, req.parts);
    return { parts };
  };
}

/** ListParts: S3's ListParts of the caller's upload, presigned. */
export function listParts(deps: RouteDeps) {
  return async (req: ListPartsRequest, ctx: HandlerContext): Promise<PresignedRequestInit> => {
    const { claims, context } = await openUpload(deps, ctx, req.uploadToken, "list_parts");
    return presignedMessage(
      await presignListParts(deps.signing.bucket(claims.bucket), claims, req.partNumberMarker, req.expiresIn, context),
    );
  };
}

/** CompleteMultipartUpload: S3's Complete of the caller's upload, presigned. */
export function completeMultipartUpload(deps: RouteDeps) {
  return async (req: CompleteMultipartUploadRequest, ctx: HandlerContext): Promise<PresignedRequestInit> => {
    const { claims, context } = await openUpload(deps, ctx, req.uploadToken, "complete_multipart");
    return presignedMessage(
      await presignCompleteMultipart(deps.signing.bucket(claims.bucket), claims, req.expiresIn, context),
    );
  };
}

/** AbortMultipartUpload: S3's Abort of the caller's upload, presigned. */
export function abortMultipartUpload(deps: RouteDeps) {
  return async (req: AbortMultipartUploadRequest, ctx: HandlerContext): Promise<PresignedRequestInit> => {
    const { claims, context } = await openUpload(deps, ctx, req.uploadToken, "abort_multipart");
    return presignedMessage(
      await presignAbortMultipart(deps.signing.bucket(claims.bucket), claims, req.expiresIn, context),
    );
  };
}

/**
 * Opens the token (owner only), re-authorises the key under the policy in
 * force now (a reload may have withdrawn it), and gives a signing context
 * whose URLs end no later than the token.
 */
async function openUpload(
  deps: RouteDeps,
  ctx: HandlerContext,
  token: string,
  auditOperation: string,
): Promise<{ claims: UploadClaims; context: SigningContext }> {
  const caller = ctx.values.get(PRINCIPAL) ?? ANONYMOUS;
  const claims = await deps.uploads.open(token, caller, new Date());
  const granted = deps.access.check(ctx, {
    operation: "multipart",
    bucket: claims.bucket,
    key: claims.key,
    metadataNames: [],
    // Length, type and metadata were checked when the upload was created.
    deferConditions: true,
    auditOperation,
  });
  const store = deps.signing.store(deps.signing.bucket(claims.bucket));
  const base = await deps.signing.context(storeMaxTtl(store, granted.maxTtlSeconds));
  const maxSeconds = Math.min(base.ttl.maxSeconds, secondsLeft(claims.expiresAt, base.now, "upload_token"));
  const context = {
    ...base,
    ttl: { ...base.ttl, maxSeconds, defaultSeconds: Math.min(base.ttl.defaultSeconds, maxSeconds) },
  };
  granted.signed(new Date(base.now.getTime() + maxSeconds * 1000), base.now);
  return { claims, context };
}
