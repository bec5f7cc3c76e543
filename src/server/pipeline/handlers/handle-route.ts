import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { resolveExpiry } from "../../../core/expiry.js";
import type { Operation as PolicyOperation } from "../../../core/policy/policy.js";
import {
  type CreateHandleRequest,
  type CreateHandleResponseSchema,
  HandleKind,
  Operation,
  type RevokeHandleRequest,
  type RevokeHandleResponseSchema,
} from "../../../gen/presign/v1/presign_pb.js";
import type { Granted } from "../../access/access.js";
import { ANONYMOUS, PRINCIPAL } from "../../auth/principal.js";
import type { HandleKind as HandleKindName } from "../../handles/handles.js";
import type { RouteDeps } from "./route-deps.js";

const KINDS: Record<HandleKind, HandleKindName | undefined> = {
  [HandleKind.UNSPECIFIED]: undefined,
  [HandleKind.SEALED]: "sealed",
  [HandleKind.STORED]: "stored",
};

const OPERATIONS: Partial<Record<Operation, PolicyOperation>> = {
  [Operation.GET]: "get",
  [Operation.PUT]: "put",
  [Operation.POST]: "post",
  [Operation.HEAD]: "head",
  [Operation.DELETE]: "delete",
};

/** CreateHandle: seal or store {bucket, key, operations, minter, expiry} behind an opaque handle. */
export function createHandle(deps: RouteDeps) {
  return async (
    req: CreateHandleRequest,
    ctx: HandlerContext,
  ): Promise<MessageInitShape<typeof CreateHandleResponseSchema>> => {
    // At least one, each a defined operation other than UNSPECIFIED: the proto's rules, checked before any handler runs.
    const operations = [...new Set(req.operations)].map((op) => OPERATIONS[op] as PolicyOperation);
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
    const minted = await deps.handles.mint(
      {
        bucket: endpoint.bucket,
        key,
        operations,
        minter: ctx.values.get(PRINCIPAL) ?? ANONYMOUS,
        expiresAt: expiry.expiresAt,
      },
      KINDS[req.kind],
      context.now,
    );
    for (const granted of grants) granted.signed(expiry.expiresAt, context.now);
    return {
      handle: minted.handle,
      expiresAt: timestampFromDate(expiry.expiresAt),
      kind: minted.kind === "stored" ? HandleKind.STORED : HandleKind.SEALED,
    };
  };
}

/** RevokeHandle: withdraw a stored handle; only its minter may. */
export function revokeHandle(deps: RouteDeps) {
  return async (
    req: RevokeHandleRequest,
    ctx: HandlerContext,
  ): Promise<MessageInitShape<typeof RevokeHandleResponseSchema>> => {
    const grant = await deps.handles.storedGrant(req.handle);
    deps.access.revocation(ctx, grant);
    return { revoked: await deps.handles.revoke(req.handle, new Date()) };
  };
}
