// The public client API of presignd (package entry "presignd/client").

export { PresignService } from "../gen/presign/v1/presign_pb.js";
export {
  createPresignClient,
  createTransport,
  type PresignClient,
  type PresignClientOptions,
  type TransportName,
} from "./create-client.js";
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
