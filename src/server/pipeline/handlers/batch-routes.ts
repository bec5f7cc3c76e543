import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { PresignError } from "../../../core/presign-error.js";
import type {
  BatchDeleteObjectRequest,
  BatchGetObjectRequest,
  BatchHeadObjectRequest,
  BatchPresignResponseSchema,
  BatchPutObjectRequest,
} from "../../../gen/presign/v1/presign_pb.js";
import { deleteObject, getObject, headObject, putObject } from "./object-routes.js";
import type { PresignedRequestInit } from "./presigned-message.js";
import type { RouteDeps } from "./route-deps.js";

type BatchResponse = MessageInitShape<typeof BatchPresignResponseSchema>;

/** BatchGetObject: every GET as GetObject would presign it, or none (AIP-231). */
export function batchGetObject(deps: RouteDeps) {
  const one = getObject(deps);
  return (req: BatchGetObjectRequest, ctx: HandlerContext) => each(req.requests, (r) => one(r, ctx));
}

/** BatchPutObject: every PUT as PutObject would presign it, or none. */
export function batchPutObject(deps: RouteDeps) {
  const one = putObject(deps);
  return (req: BatchPutObjectRequest, ctx: HandlerContext) => each(req.requests, (r) => one(r, ctx));
}

/** BatchHeadObject: every HEAD as HeadObject would presign it, or none. */
export function batchHeadObject(deps: RouteDeps) {
  const one = headObject(deps);
  return (req: BatchHeadObjectRequest, ctx: HandlerContext) => each(req.requests, (r) => one(r, ctx));
}

/** BatchDeleteObject: every DELETE as DeleteObject would presign it, or none. */
export function batchDeleteObject(deps: RouteDeps) {
  const one = deleteObject(deps);
  return (req: BatchDeleteObjectRequest, ctx: HandlerContext) => each(req.requests, (r) => one(r, ctx));
}

/** Each request in turn (each authorised and audited on its own); the first refusal names its index. */
async function each<T>(
  requests: readonly T[],
  presign: (r: T) => Promise<PresignedRequestInit>,
): Promise<BatchResponse> {
  const out: PresignedRequestInit[] = [];
  for (const [i, request] of requests.entries()) {
    try {
      out.push(await presign(request));
    } catch (error) {
      if (!(error instanceof PresignError)) throw error;
      const at = `requests[${i}]`;
      throw error.field
        ? new PresignError(error.reason, `${at}.${error.message}`, `${at}.${error.field}`)
        : new PresignError(error.reason, `${at}: ${error.message}`);
    }
  }
  return { requests: out };
}
