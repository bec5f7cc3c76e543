import type { Logger } from "pino";
import type { BucketEndpoint } from "../../core/bucket-endpoint.js";
import type { TtlPolicy } from "../../core/expiry.js";
import { PresignError } from "../../core/presign-error.js";
import { createPresigner, type Presigner, type SigningContext, type SigningCredentials } from "../../core/signer.js";
import { type StoreProfile, storeProfile } from "../../core/store-profile.js";
import type { S3Backend } from "./s3-backend.js";

/** What the handlers need to sign: buckets, credentials, clock and TTL policy. */
export class Signing {
  private presigner?: { credentials: SigningCredentials; presigner: Presigner };

  constructor(
    private readonly backend: S3Backend,
    private readonly ttl: TtlPolicy,
    private readonly logger: Logger,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** The endpoint of a configured bucket; "" means the default bucket. */
  bucket(name: string): BucketEndpoint {
    const endpoint = this.backend.buckets.get(name || this.backend.defaultBucket);
    if (!endpoint) {
      throw new PresignError("not_found", `bucket: "${name.slice(0, 64)}" is not served by this presignd`, "bucket");
    }
    if (this.backend.missingBuckets.has(endpoint.bucket)) {
      // A URL for it could only fail; the readiness probe notices when it is created.
      throw new PresignError(
        "failed_precondition",
        `bucket: "${endpoint.bucket}" does not exist at S3 (HEAD answered HTTP 404); create it and retry: presignd checks again every few seconds`,
        "bucket",
      );
    }
    return endpoint;
  }

  /** What the store of a configured bucket (from `bucket`) can do. */
  store(endpoint: BucketEndpoint): StoreProfile {
    return this.backend.stores.get(endpoint.bucket) ?? storeProfile("generic");
  }

  /** Current credentials (refreshed by the SDK as they rotate) and time. */
  async context(maxTtlSeconds?: number): Promise<SigningContext> {
    let credentials: SigningCredentials;
    try {
      credentials = await this.backend.credentials();
    } catch (error) {
      this.logger.error(
        { err: { name: (error as Error).name, message: (error as Error).message } },
        "S3 credentials unavailable",
      );
      throw new PresignError("unavailable", "the server cannot load its S3 credentials right now; retry later");
    }
    // The SDK's provider hands out the same object until it rotates.
    if (this.presigner?.credentials !== credentials) {
      this.presigner = { credentials, presigner: createPresigner(credentials) };
    }
    const ttl =
      maxTtlSeconds === undefined
        ? this.ttl
        : { ...this.ttl, maxSeconds: Math.min(this.ttl.maxSeconds, maxTtlSeconds) };
    return { presigner: this.presigner.presigner, credentials, now: this.clock(), ttl };
  }
}
