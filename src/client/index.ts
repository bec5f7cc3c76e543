// @presignd/client: presigned uploads and downloads, in browsers and on Node.
// Paths and Node streams come from "@presignd/client/node".

export { Code, ConnectError } from "@connectrpc/connect";
export { PresignService } from "../gen/client/presign/v1/presign_pb.js";
export type { PartChecksumAlgorithm } from "./body/part-checksum.js";
export type { UploadSource } from "./body/source.js";
export {
  createPresignClient,
  type PresignClient,
  type PresignClientOf,
  type PresignClientOptions,
} from "./create-client.js";
export type { DownloadDestination } from "./download/destination.js";
export {
  InvalidOptionError,
  isAbortError,
  isInvalidOptionError,
  isPresignClientError,
  isRpcError,
  isS3Error,
  isTimeoutError,
  isTransferError,
  PresignClientError,
  RpcError,
  S3Error,
  TransferAbortedError,
  TransferError,
  TransferTimeoutError,
} from "./errors.js";
export type { PresignedHttp } from "./http/presigned.js";
export { redactUrl } from "./http/redact-url.js";
export type {
  ConfirmExpectations,
  ConfirmedUpload,
  DownloadOptions,
  DownloadParams,
  DownloadResult,
  DownloadSettings,
  FormParams,
  FormTarget,
  HeadResult,
  LandedUpload,
  ObjectParams,
  ObjectRequestOptions,
  ObjectTarget,
  Progress,
  ResumeOptions,
  TransferResult,
  TransferSettings,
  UploadFormOptions,
  UploadOptions,
  UploadParams,
  UploadResult,
  UploadSettings,
  WatchOptions,
} from "./options.js";
export { indexedDbStateStore } from "./state/indexed-db-state-store.js";
export { localStorageStateStore } from "./state/local-storage-state-store.js";
export { memoryStateStore, type StateStore } from "./state/state-store.js";
export type { ConnectionOptions } from "./transport.js";
export { fillFilename } from "./upload/form.js";
