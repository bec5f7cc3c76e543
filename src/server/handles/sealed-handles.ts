import { randomBytes } from "node:crypto";
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from "jose";
import type { Operation, Principal } from "../../core/policy/policy.js";
import { invalidField, PresignError } from "../../core/presign-error.js";
import type { HandleGrant } from "./handle-store.js";

/** A handle's secret: 32 bytes for A256GCM, named by kid for rotation. */
export interface HandleKey {
  readonly kid: string;
  readonly secret: Uint8Array;
}

const TYPE = "presignd-handle+jwe";

/**
 * Stateless object handles: JWE compact serialisation, "dir" + A256GCM
 * (jose), the kid in the protected header. The first key seals; every key
 * opens, so keys rotate by prepending a new one and dropping the oldest later.
 */
export class HandleSealer {
  constructor(private readonly keys: readonly HandleKey[]) {
    if (keys.length === 0) throw new Error("HandleSealer needs at least one key");
  }

  /** Development mode: a random key for this process only. */
  static ephemeral(): HandleSealer {
    return new HandleSealer([{ kid: `dev-${randomBytes(4).toString("hex")}`, secret: randomBytes(32) }]);
  }

  async seal(claims: HandleGrant): Promise<string> {
    const key = this.keys[0] as HandleKey;
    const payload = {
      b: claims.bucket,
      k: claims.key,
      ops: claims.operations,
      sub: claims.minter.subject,
      grp: claims.minter.groups,
      via: claims.minter.method,
      exp: Math.floor(claims.expiresAt.getTime() / 1000),
    };
    return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: "dir", enc: "A256GCM", kid: key.kid, typ: TYPE })
      .encrypt(key.secret);
  }

  /** The claims of a valid, unexpired handle; precise refusals otherwise. */
  async open(handle: string, now: Date): Promise<HandleGrant> {
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(handle);
      kid = typeof header.kid === "string" ? header.kid : undefined;
      if (header.typ !== TYPE || header.alg !== "dir" || header.enc !== "A256GCM") throw new Error("not ours");
    } catch {
      throw invalidField("handle", "is not a presignd handle");
    }
    const key = this.keys.find((k) => k.kid === kid);
    if (!key) throw invalidField("handle", "was sealed with a key this server no longer has (rotated out?)");
    let payload: Record<string, unknown>;
    try {
      const { plaintext } = await compactDecrypt(handle, key.secret, {
        keyManagementAlgorithms: ["dir"],
        contentEncryptionAlgorithms: ["A256GCM"],
      });
      payload = JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, unknown>;
    } catch {
      throw invalidField("handle", "is not a valid handle (altered or corrupted)");
    }
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
