import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { unmetConditions } from "../../../core/policy/policy.js";
import { invalidField, PresignError } from "../../../core/presign-error.js";
import {
  callerExpectation,
  mayHaveWritten,
  type UploadExpectation,
  type Verification,
  verifyObject,
} from "../../../core/upload-expectation.js";
import {
  ConfirmedAgainst,
  type ConfirmUploadRequest,
  type ConfirmUploadResponseSchema,
} from "../../../gen/presign/v1/presign_pb.js";
import type { Granted } from "../../access/access.js";
import { ANONYMOUS, PRINCIPAL } from "../../auth/principal.js";
import type { ObjectHead } from "../../s3/s3-backend.js";
import { s3Failure } from "../../s3/s3-failure.js";
import type { SignedUpload } from "../../uploads/upload-ledger.js";
import { resolveObject } from "../object-ref.js";
import { ledgerUnavailable } from "../presign-object.js";
import type { RouteDeps } from "./route-deps.js";

/** How many of the latest uploads signed for a key an object is compared with. */
const CANDIDATES = 20;

/**
 * ConfirmUpload: authorise `confirm` → HEAD the object with the server's
 * credentials → check it against the allowing rule's conditions, the
 * caller's expectations and what presignd signed for it → mark that upload
 * completed. The first mismatch is FAILED_PRECONDITION naming the property.
 */
export function confirmUpload(deps: RouteDeps) {
  return async (
    req: ConfirmUploadRequest,
    ctx: HandlerContext,
  ): Promise<MessageInitShape<typeof ConfirmUploadResponseSchema>> => {
    const expected = req.expect ? callerExpectation(req.expect, "expect") : undefined;
    const target = await confirmTarget(deps, ctx, req);
    target.granted.allowed();
    let head: ObjectHead | undefined;
    try {
      head = await deps.headObject(target.bucket, target.granted.key, ctx.signal);
    } catch (error) {
      throw s3Failure("HeadObject", error);
    }
    if (!head) {
      throw new PresignError(
        "not_found",
        `${target.field}: no such object in bucket "${target.bucket}" (not uploaded yet, or removed)`,
        target.field,
      );
    }
    const checks: Verification = { verified: [], unverified: [] };
    const unmet = unmetConditions(target.granted.conditions, {
      contentLength: head.size,
      contentType: head.contentType,
      metadataNames: Object.keys(head.metadata),
    });
    if (unmet) throw new PresignError("failed_precondition", `the object does not meet the policy: ${unmet}`);
    if (target.bound) verifyObject(head, target.bound, "the upload token's bound", checks);
    if (expected) verifyObject(head, expected, "expected", checks);
    const record = matchingRecord(head, target.records, checks);
    // The first to see it land records it, for WatchUploads too.
    if (record && deps.feed) await deps.feed.landed(record, head, checks).catch(ledgerUnavailable);
    return {
      object: {
        bucket: target.bucket,
        key: target.granted.key,
        size: head.size,
        etag: head.etag,
        versionId: head.versionId ?? "",
        ...(head.lastModified ? { lastModified: timestampFromDate(head.lastModified) } : {}),
        contentType: head.contentType,
        metadata: { ...head.metadata },
        checksumSha256: head.checksumSha256 ?? "",
        checksumCrc32c: head.checksumCrc32c ?? "",
      },
      against: record ? ConfirmedAgainst.SIGNED : ConfirmedAgainst.EXPECTATIONS,
      verified: checks.verified,
      unverified: checks.unverified,
    };
  };
}

interface ConfirmTarget {
  readonly bucket: string;
  readonly granted: Granted;
  /** The request field that named the object, for a NOT_FOUND. */
  readonly field: string;
  /** The records of what was signed for it, newest first. */
  readonly records: readonly SignedUpload[];
  /** A multipart upload's size bound from its token (known with or without a ledger). */
  readonly bound?: UploadExpectation;
}

/** The object and its records: by upload token (owner only), by handle (as its minter) or by bucket and key. */
async function confirmTarget(deps: RouteDeps, ctx: HandlerContext, req: ConfirmUploadRequest): Promise<ConfirmTarget> {
  const ledger = deps.feed?.ledger;
  if (req.uploadToken) {
    if (req.bucket) throw invalidField("upload_token", "send either an upload_token or bucket and key, not both");
    const claims = await deps.uploads.open(req.uploadToken, ctx.values.get(PRINCIPAL) ?? ANONYMOUS, new Date());
    const endpoint = deps.signing.bucket(claims.bucket);
    const granted = deps.access.check(ctx, {
      operation: "confirm",
      bucket: endpoint.bucket,
      key: claims.key,
      metadataNames: [],
    });
    const record = ledger
      ? await ledger.byUploadId(endpoint.bucket, claims.uploadId).catch(ledgerUnavailable)
      : undefined;
    return {
      bucket: endpoint.bucket,
      granted,
      field: "upload_token",
      records: record ? [record] : [],
      bound: { maxLength: BigInt(claims.layout.maxSize) },
    };
  }
  if (!req.key && !req.handle) throw invalidField("key", "is required (or handle, or upload_token)");
  const { endpoint, granted } = await resolveObject(deps, ctx, req, { operation: "confirm", metadataNames: [] });
  const records = ledger
    ? await ledger.forObject(endpoint.bucket, granted.key, CANDIDATES).catch(ledgerUnavailable)
    : [];
  return { bucket: endpoint.bucket, granted, field: req.handle ? "handle" : "key", records };
}

/**
 * The newest record of what was signed that the object matches, among those
 * signed before it was written; undefined without records. An object older
 * than every upload signed for its key is not one of them (it has not landed
 * yet); one that matches none is refused with the newest one's mismatch.
 */
function matchingRecord(
  head: ObjectHead,
  records: readonly SignedUpload[],
  checks: Verification,
): SignedUpload | undefined {
  if (records.length === 0) return undefined;
  const eligible = records.filter((r) => mayHaveWritten(r.signedAt, head.lastModified));
  const newest = eligible[0];
  if (!newest) {
    throw new PresignError(
      "failed_precondition",
      `the object was written before the upload presignd signed for it (at ${records[0]?.signedAt.toISOString()}): that upload has not landed yet`,
    );
  }
  let firstMismatch: unknown;
  for (const record of eligible) {
    const attempt: Verification = { verified: [...checks.verified], unverified: [...checks.unverified] };
    try {
      verifyObject(head, record.expectation, "signed", attempt);
    } catch (error) {
      firstMismatch ??= error;
      continue;
    }
    checks.verified.splice(0, Infinity, ...attempt.verified);
    checks.unverified.splice(0, Infinity, ...attempt.unverified);
    return record;
  }
  throw firstMismatch;
}
