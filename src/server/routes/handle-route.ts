import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { resolveExpiry } from "../../core/expiry.js";
import type { Operation as PolicyOperation } from "../../core/policy/policy.js";
import { invalidField, PresignError } from "../../core/presign-error.js";
import {
  type CreateHandleRequest,
  type CreateHandleResponseSchema,
  Operation,
} from "../../gen/presign/v1/presign_pb.js";
import type { Granted } from "../access.js";
import { ANONYMOUS, PRINCIPAL } from "../auth/principal.js";
import type { RouteDeps } from "./route-deps.js";

const OPERATIONS: Partial<Record<Operation, PolicyOperation>> = {
  [Operation.GET]: "get",
  [Operation.PUT]: "put",
  [Operation.POST]: "post",
};

/** CreateHandle: seal {bucket, key, operations, minter, expiry} into an opaque handle. */
export function createHandle(deps: RouteDeps) {
  return async (
    req: CreateHandleRequest,
    ctx: HandlerContext,
  ): Promise<MessageInitShape<typeof CreateHandleResponseSchema>> => {
    const sealer = deps.handles();
    if (!sealer) {
      throw new PresignError("failed_precondition", "handles are not configured: add handles.keys to the policy file");
    }
    if (req.operations.length === 0)
      throw invalidField("operations", "list at least one of OPERATION_GET, OPERATION_PUT, OPERATION_POST");
    const operations = [...new Set(req.operations)].map((op) => {
      const name = OPERATIONS[op];
      if (!name) throw invalidField("operations", `${Operation[op] ?? op} is not an operation`);
      return name;
    });
    const endpoint = deps.signing.bucket(req.bucket);
    // The minter must be allowed every operation; conditions wait for use.
    let key = req.key;
    let maxTtl: number | undefined;
    const grants: Granted[] = [];
    for (const operation of operations) {
      const granted = deps.access.check(ctx, {
        operation,
        bucket: endpoint.bucket,
        key: req.key,
        metadataNames: [],
        deferConditions: true,
      });
      key = granted.key;
      grants.push(granted);
      if (granted.maxTtlSeconds !== undefined)
        maxTtl = Math.min(maxTtl ?? Number.POSITIVE_INFINITY, granted.maxTtlSeconds);
    }
    const context = await deps.signing.context(maxTtl);
    const expiry = resolveExpiry(req.expiresIn, context.ttl, context.now);
    const handle = await sealer.seal({
      bucket: endpoint.bucket,
      key,
      operations,
      minter: ctx.values.get(PRINCIPAL) ?? ANONYMOUS,
      expiresAt: expiry.expiresAt,
    });
    for (const granted of grants) granted.signed(expiry.expiresAt, context.now);
    return { handle, expiresAt: timestampFromDate(expiry.expiresAt) };
  };
}
