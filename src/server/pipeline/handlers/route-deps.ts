import type { Access } from "../../access/access.js";
import type { Handles } from "../../handles/handles.js";
import type { S3Backend } from "../../s3/s3-backend.js";
import type { Signing } from "../../s3/signing.js";
import type { UploadTokens } from "../../tokens/upload-tokens.js";
import type { UploadEventObserver } from "../../uploads/upload-events.js";
import type { UploadFeed } from "../../uploads/upload-feed.js";
import type { UploadLedger } from "../../uploads/upload-ledger.js";

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
  /** The S3 calls the server makes itself: starting a multipart upload, and HEAD for ConfirmUpload. */
  readonly createMultipartUpload: S3Backend["createMultipartUpload"];
  readonly headObject: S3Backend["headObject"];
  readonly abortMultipartUpload: S3Backend["abortMultipartUpload"];
  /** The record of signed uploads (in the handle store), when there is one. */
  readonly ledger?: UploadLedger | undefined;
  /** The uploads that landed (ConfirmUpload, WatchUploads), with the ledger. */
  readonly feed?: UploadFeed | undefined;
  /** Told of multipart uploads started and settled (the server's Metrics). */
  readonly uploadEvents?: UploadEventObserver | undefined;
}
