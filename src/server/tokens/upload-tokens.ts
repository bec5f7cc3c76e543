import { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm } from "../../core/part-checksum.js";
import type { Principal } from "../../core/policy/policy.js";
import { PresignError } from "../../core/presign-error.js";
import type { PartLayout } from "../../core/presign-multipart.js";
import type { JweSealer } from "./jwe-sealer.js";

const TYPE = "presignd-upload+jwe";

/** What an upload token binds: one S3 upload, its object, its owner and its size. */
export interface UploadClaims {
  readonly uploadId: string;
  readonly bucket: string;
  readonly key: string;
  /** The caller who created the upload: the only one who may use the token. */
  readonly owner: Principal;
  readonly layout: PartLayout;
  /** The store needs every part but the last to be exactly layout.partSize (R2). */
  readonly equalParts: boolean;
  /** The upload's per-part checksum algorithm: every part is signed with its checksum. */
  readonly checksumAlgorithm?: ChecksumAlgorithm | undefined;
  readonly expiresAt: Date;
}

/**
 * Multipart upload tokens: the claims sealed with the server's sealing keys
 * (handles.keys; a process key without them), so they cannot be read,
 * altered or used by anyone but their owner.
 */
export class UploadTokens {
  constructor(private readonly sealer: () => JweSealer) {}

  seal(claims: UploadClaims): Promise<string> {
    return this.sealer().seal(TYPE, {
      u: claims.uploadId,
      b: claims.bucket,
      k: claims.key,
      sub: claims.owner.subject,
      grp: claims.owner.groups,
      via: claims.owner.method,
      max: claims.layout.maxSize,
      ps: claims.layout.partSize,
      n: claims.layout.maxParts,
      ...(claims.equalParts ? { eq: true } : {}),
      ...(claims.checksumAlgorithm ? { ca: claims.checksumAlgorithm } : {}),
      exp: Math.floor(claims.expiresAt.getTime() / 1000),
    });
  }

  /** The claims of a valid, unexpired token presented by its owner. */
  async open(token: string, caller: Principal, now: Date): Promise<UploadClaims> {
    const p = await this.sealer().open(TYPE, token, "upload_token", "upload token");
    const expiresAt = new Date(Number(p.exp) * 1000);
    if (!(expiresAt.getTime() > now.getTime())) {
      throw new PresignError(
        "failed_precondition",
        `upload_token: expired at ${expiresAt.toISOString()}`,
        "upload_token",
      );
    }
    if (p.sub !== caller.subject || p.via !== caller.method) {
      throw new PresignError("permission_denied", "permission denied: the upload belongs to another caller");
    }
    return {
      uploadId: String(p.u),
      bucket: String(p.b),
      key: String(p.k),
      owner: caller,
      layout: { maxSize: Number(p.max), partSize: Number(p.ps), maxParts: Number(p.n) },
      equalParts: p.eq === true,
      ...(CHECKSUM_ALGORITHMS.includes(p.ca as ChecksumAlgorithm)
        ? { checksumAlgorithm: p.ca as ChecksumAlgorithm }
        : {}),
      expiresAt,
    };
  }
}
