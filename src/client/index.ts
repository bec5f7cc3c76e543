// The public client API of presignd (package entry "presignd/client").

export { PresignService } from "../gen/presign/v1/presign_pb.js";
export {
  createPresignClient,
  createTransport,
  DEFAULT_MULTIPART_THRESHOLD,
  type DownloadPlan,
  type PresignClient,
  type PresignClientOptions,
  type TransportName,
  type UploadPlan,
} from "./create-client.js";
export { type MultipartOptions, type MultipartResult, uploadMultipart } from "./multipart-upload.js";
export { downloadRanged, type RangedDownloadOptions } from "./ranged-download.js";
export { S3Error } from "./s3-error.js";
export type { DownloadDestination, UploadSource } from "./sources.js";
export {
  downloadPresigned,
  type PresignedHttp,
  type Progress,
  type TransferOptions,
  type TransferResult,
  uploadPresigned,
} from "./transfer.js";
