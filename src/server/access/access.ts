import type { HandlerContext } from "@connectrpc/connect";
import { checkObjectKey } from "../../core/object-key.js";
import { normalizeKey } from "../../core/policy/key-normalization.js";
import { type AccessRequest, authorize, type Principal, type RuleConditions } from "../../core/policy/policy.js";
import { PresignError } from "../../core/presign-error.js";
import { FILENAME } from "../../core/presign-post.js";
import { PRESENTED_CREDENTIALS } from "../auth/presented-credentials.js";
import { ANONYMOUS, PRINCIPAL } from "../auth/principal.js";
import type { HandleGrant } from "../handles/handle-store.js";
import { REQUEST_ID } from "../pipeline/request-id.js";
import type { Audit } from "./audit.js";
import type { PolicyFile } from "./policy-file.js";

export interface Granted {
  /** The key to sign: exactly the key the decision was made on. */
  readonly key: string;
  /** A lower TTL cap from the allowing rule. */
  readonly maxTtlSeconds?: number;
  /** The allowing rule's cache window for GET and HEAD, in seconds (core/cache-window.ts). */
  readonly cacheWindowSeconds?: number;
  /** The allowing rule's size limit, if it has one. */
  readonly maxContentLength?: bigint;
  /** The allowing rule's conditions on the object (none in development mode). */
  readonly conditions: RuleConditions;
  /** Records the allow decision with the lifetime actually signed. */
  signed(expiresAt: Date, now: Date): void;
  /** Records the allow decision of a request that signs nothing (ConfirmUpload). */
  allowed(): void;
}

/** Where decisions are counted (the server's Metrics), besides the audit record. */
export interface DecisionObserver {
  /** `rule`: the allowing rule, or the nearest rule of a denial; undefined when none came near. */
  decided(decision: "allow" | "deny", rule: string | undefined): void;
  /** An allowed request was signed: `operation` as its audit record names it, `bucket` a served bucket. */
  signed(operation: string, bucket: string): void;
}

/**
 * Authorisation: normalises the caller's key, decides against the policy
 * (reloadable), records the decision, and refuses with PERMISSION_DENIED.
 * Without a policy (development mode) every key is allowed as given.
 */
export class Access {
  constructor(
    private readonly policy: () => PolicyFile | undefined,
    private readonly audit: Audit,
    private readonly observer?: DecisionObserver,
  ) {}

  /**
   * `actingFor`: the minter of the handle the caller presented; the request
   * is decided as theirs, and the audit record names both.
   */
  check(
    ctx: HandlerContext,
    request: Omit<AccessRequest, "keyIsPrefix" | "normalizedKey"> & {
      keyIsPrefix?: boolean;
      keyField?: string;
      /** The RPC as the audit record names it, when not the operation itself. */
      auditOperation?: string;
    },
    actingFor?: Principal,
  ): Granted {
    const caller = ctx.values.get(PRINCIPAL) ?? ANONYMOUS;
    const requestId = ctx.values.get(REQUEST_ID);
    const address = ctx.values.get(PRESENTED_CREDENTIALS).address;
    const field = request.keyField ?? "key";
    // A prefix may be empty (a list of the whole bucket: only "*" rules cover it).
    const raw = checkObjectKey(request.key, field, { allowEmpty: request.keyIsPrefix === true });
    const isFilename = request.operation === "post" && raw.endsWith(FILENAME);
    const strip = (k: string) => (isFilename ? k.slice(0, -FILENAME.length) : k);
    // Minting a handle defers the conditions and signs nothing yet.
    const mintsHandle = request.deferConditions === true && request.auditOperation === undefined;
    const operation =
      request.auditOperation ?? (mintsHandle ? `create_handle:${request.operation}` : request.operation);
    const record = (key: string) => ({
      principal: caller,
      ...(caller.method === "anonymous" ? { peer: address } : {}),
      ...(actingFor ? { onBehalfOf: actingFor } : {}),
      operation,
      bucket: request.bucket,
      key,
      requestId,
    });
    const signed = (key: string, rule: string) => (expiresAt: Date, now: Date) => {
      this.audit.record({
        ...record(key),
        decision: "allow",
        rule,
        // Signed dates have whole seconds: count from the second that was signed.
        ttlSeconds: Math.round((expiresAt.getTime() - Math.floor(now.getTime() / 1000) * 1000) / 1000),
      });
      this.observer?.decided("allow", rule);
      if (!mintsHandle) this.observer?.signed(operation, request.bucket);
    };
    const allowed = (key: string, rule: string) => () => {
      this.audit.record({ ...record(key), decision: "allow", rule });
      this.observer?.decided("allow", rule);
    };
    const policy = this.policy();
    if (!policy)
      return {
        key: raw,
        conditions: {},
        signed: signed(raw, DEVELOPMENT_RULE),
        allowed: allowed(raw, DEVELOPMENT_RULE),
      };
    const deny = (reason: string, told = reason, rule?: string): never => {
      this.audit.record({ ...record(raw), decision: "deny", reason });
      this.observer?.decided("deny", rule);
      throw new PresignError("permission_denied", `permission denied: ${told}`);
    };
    // A handle is decided as its minter is now: a reload that removed the
    // minter, or a group it was in, takes the handle's rights with it.
    let principal = caller;
    if (actingFor) {
      const current = currentMinter(policy, actingFor);
      if (typeof current === "string") return deny(current, HANDLE_DENIED);
      principal = current;
    }

    let normalized: string | undefined;
    try {
      normalized = raw === "" ? raw : normalizeKey(raw, field);
    } catch {
      normalized = undefined;
    }
    const decision = authorize(
      policy,
      principal,
      {
        ...request,
        key: strip(raw),
        normalizedKey: normalized === undefined ? undefined : strip(normalized),
        keyIsPrefix: isFilename || request.keyIsPrefix === true,
        filename: isFilename,
        ...(address ? { peerAddress: address } : {}),
      },
      // Denials for a handle never name its minter to the holder.
      actingFor ? "the handle's minter" : undefined,
    );
    if (!decision.allowed) return deny(decision.reason, decision.reason, decision.rule);
    // Sign exactly the form the rule matched ("${filename}" restored).
    const key = isFilename ? decision.key + FILENAME : decision.key;
    return {
      key,
      ...(decision.maxTtlSeconds === undefined ? {} : { maxTtlSeconds: decision.maxTtlSeconds }),
      ...(decision.cacheWindowSeconds === undefined ? {} : { cacheWindowSeconds: decision.cacheWindowSeconds }),
      ...(decision.maxContentLength === undefined ? {} : { maxContentLength: decision.maxContentLength }),
      conditions: decision.conditions,
      signed: signed(key, decision.rule),
      allowed: allowed(key, decision.rule),
    };
  }

  /** RevokeHandle: only the handle's minter may; the decision is audited either way. */
  revocation(ctx: HandlerContext, grant: HandleGrant): void {
    const caller = ctx.values.get(PRINCIPAL) ?? ANONYMOUS;
    const allowed = grant.minter.subject === caller.subject && grant.minter.method === caller.method;
    this.audit.record({
      principal: caller,
      onBehalfOf: grant.minter,
      operation: "revoke_handle",
      bucket: grant.bucket,
      key: grant.key,
      requestId: ctx.values.get(REQUEST_ID),
      decision: allowed ? "allow" : "deny",
      ...(allowed ? { rule: MINTER_RULE } : { reason: "only the handle's minter may revoke it" }),
    });
    this.observer?.decided(allowed ? "allow" : "deny", allowed ? MINTER_RULE : undefined);
    if (!allowed)
      throw new PresignError("permission_denied", "permission denied: only the handle's minter may revoke it");
  }
}

/** The rule of allow records without a policy (development mode). */
const DEVELOPMENT_RULE = "development mode (no policy)";

/** The rule of RevokeHandle's allow records: the caller is the handle's minter. */
const MINTER_RULE = "minter";

/** What a handle's holder is told when its minter's identity no longer stands. */
const HANDLE_DENIED = "the handle's minter no longer holds this right";

/**
 * The minter of a handle as the policy in force knows it: an API-key
 * principal with its current groups, a JWT identity while the policy still
 * accepts JWTs, a certificate or anonymous identity as minted (the rules in
 * force decide it). A string says why not (for the audit record only: it may
 * name the minter).
 */
function currentMinter(policy: PolicyFile, minter: Principal): Principal | string {
  switch (minter.method) {
    case "api-key": {
      const holder = policy.principals.find((p) => p.name === minter.subject);
      if (!holder) return `the handle's minter ${minter.subject} is no longer a principal of the policy`;
      return { subject: holder.name, groups: holder.groups, method: "api-key" };
    }
    case "jwt":
      return policy.jwt ? minter : "the handle was minted with a JWT, and the policy no longer accepts JWTs";
    case "mtls":
    case "anonymous":
      return minter;
    default:
      return "the handle was minted in development mode, without a policy";
  }
}
