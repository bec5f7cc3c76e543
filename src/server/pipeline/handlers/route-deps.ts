import type { Access } from "../../access/access.js";
import type { Handles } from "../../handles/handles.js";
import type { S3Backend } from "../../s3/s3-backend.js";
import type { Signing } from "../../s3/signing.js";
import type { UploadTokens } from "../../tokens/upload-tokens.js";

/** What the PresignService handlers work with. */
export interface RouteDeps {
  readonly signing: Signing;
  readonly access: Access;
  /** Sealed and stored object handles. */
  readonly handles: Handles;
  /** Multipart upload tokens. */
  readonly uploads: UploadTokens;
  /** The size bound of a POST policy that neither the request nor its rule bounds (--post-max-size). */
  readonly postMaxSize: bigint;
  /** The one S3 call the server makes itself. */
  readonly createMultipartUpload: S3Backend["createMultipartUpload"];
}
