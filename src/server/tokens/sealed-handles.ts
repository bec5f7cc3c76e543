import type { Operation, Principal } from "../../core/policy/policy.js";
import { PresignError } from "../../core/presign-error.js";
import type { HandleGrant } from "../handles/handle-store.js";
import type { JweSealer } from "./jwe-sealer.js";

const TYPE = "presignd-handle+jwe";

/** Stateless object handles: the grant sealed into the handle itself. */
export class HandleSealer {
  constructor(private readonly sealer: JweSealer) {}

  seal(grant: HandleGrant): Promise<string> {
    return this.sealer.seal(TYPE, {
      b: grant.bucket,
      k: grant.key,
      ops: grant.operations,
      sub: grant.minter.subject,
      grp: grant.minter.groups,
      via: grant.minter.method,
      exp: Math.floor(grant.expiresAt.getTime() / 1000),
    });
  }

  /** The grant of a valid, unexpired handle; precise refusals otherwise. */
  async open(handle: string, now: Date): Promise<HandleGrant> {
    const payload = await this.sealer.open(TYPE, handle, "handle", "handle");
    const expiresAt = new Date(Number(payload.exp) * 1000);
    if (!(expiresAt.getTime() > now.getTime())) {
      throw new PresignError("failed_precondition", `handle: expired at ${expiresAt.toISOString()}`, "handle");
    }
    return {
      bucket: String(payload.b),
      key: String(payload.k),
      operations: (payload.ops as Operation[]) ?? [],
      minter: {
        subject: String(payload.sub),
        groups: Array.isArray(payload.grp) ? (payload.grp as string[]) : [],
        method: payload.via as Principal["method"],
      },
      expiresAt,
    };
  }
}
