import { createHash, createHmac, type Hash, type Hmac } from "node:crypto";

type Secret = string | ArrayBuffer | ArrayBufferView;

/** What the SDK signer's `sha256` option takes: a SHA-256, or an HMAC-SHA-256 when given a secret. */
export interface SignerSha256 {
  new (
    secret?: Secret,
  ): {
    update(chunk: Uint8Array): void;
    digest(): Promise<Uint8Array>;
    reset(): void;
  };
}

/**
 * SHA-256 and HMAC-SHA-256 over node:crypto for the SDK signer of one set of
 * credentials. It remembers one result: HMAC(secretAccessKey, accessKeyId),
 * which the SDK's getSigningKey computes on every presign only to look up its
 * signing-key cache. Every other input is hashed as given.
 */
export function signerSha256(credentials: {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}): SignerSha256 {
  const cacheKeySecret = credentials.secretAccessKey;
  const cacheKeyData = Buffer.from(credentials.accessKeyId, "utf8");
  const cacheKeyMac = createHmac("sha256", cacheKeySecret).update(cacheKeyData).digest();

  return class Sha256 {
    readonly digestLength = 32;
    private hash: Hash | Hmac | undefined;
    /** The input so far is exactly (cacheKeySecret, cacheKeyData), not yet hashed. */
    private remembered = false;

    constructor(private readonly secret?: Secret) {}

    update(chunk: Uint8Array): void {
      if (this.hash === undefined && !this.remembered && this.secret === cacheKeySecret && cacheKeyData.equals(chunk)) {
        this.remembered = true;
        return;
      }
      this.started().update(chunk);
    }

    async digest(): Promise<Uint8Array> {
      if (this.remembered) return new Uint8Array(cacheKeyMac);
      const digest = this.started().digest();
      return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
    }

    reset(): void {
      this.hash = undefined;
      this.remembered = false;
    }

    private started(): Hash | Hmac {
      if (this.hash === undefined) {
        this.hash = this.secret === undefined ? createHash("sha256") : createHmac("sha256", toKey(this.secret));
        if (this.remembered) {
          this.hash.update(cacheKeyData);
          this.remembered = false;
        }
      }
      return this.hash;
    }
  };
}

function toKey(secret: Secret): string | Uint8Array {
  if (typeof secret === "string") return secret;
  if (ArrayBuffer.isView(secret)) return new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength);
  return new Uint8Array(secret);
}
