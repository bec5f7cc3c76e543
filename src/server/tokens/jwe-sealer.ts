import { randomBytes } from "node:crypto";
import { CompactEncrypt, compactDecrypt, decodeProtectedHeader } from "jose";
import { invalidField } from "../../core/presign-error.js";

/** A sealing secret: 32 bytes for A256GCM, named by kid for rotation. */
export interface SealingKey {
  readonly kid: string;
  readonly secret: Uint8Array;
}

/**
 * Seals JSON payloads into tokens nobody but presignd can read or alter:
 * JWE compact serialisation, "dir" + A256GCM (jose), the kid and a token
 * type in the protected header (so one kind of token is never accepted as
 * another). The first key seals; every key opens, so keys rotate by
 * prepending a new one and dropping the oldest later.
 */
export class JweSealer {
  constructor(private readonly keys: readonly SealingKey[]) {
    if (keys.length === 0) throw new Error("JweSealer needs at least one key");
  }

  /** A random key for this process only (development mode, or no keys configured). */
  static ephemeral(): JweSealer {
    return new JweSealer([{ kid: `ephemeral-${randomBytes(4).toString("hex")}`, secret: randomBytes(32) }]);
  }

  async seal(typ: string, payload: Record<string, unknown>): Promise<string> {
    const key = this.keys[0] as SealingKey;
    return new CompactEncrypt(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: "dir", enc: "A256GCM", kid: key.kid, typ })
      .encrypt(key.secret);
  }

  /** The payload of a token of type `typ`; `field` names it in refusals. */
  async open(typ: string, token: string, field: string, what: string): Promise<Record<string, unknown>> {
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      kid = typeof header.kid === "string" ? header.kid : undefined;
      if (header.typ !== typ || header.alg !== "dir" || header.enc !== "A256GCM") throw new Error("not ours");
    } catch {
      throw invalidField(field, `is not a presignd ${what}`);
    }
    const key = this.keys.find((k) => k.kid === kid);
    if (!key) throw invalidField(field, "was sealed with a key this server no longer has (rotated out?)");
    try {
      const { plaintext } = await compactDecrypt(token, key.secret, {
        keyManagementAlgorithms: ["dir"],
        contentEncryptionAlgorithms: ["A256GCM"],
      });
      return JSON.parse(new TextDecoder().decode(plaintext)) as Record<string, unknown>;
    } catch {
      throw invalidField(field, `is not a valid ${what} (altered or corrupted)`);
    }
  }
}
