// The public client API of presignd (package entry "presignd/client").
export { type PresignClient, type PresignClientOptions, type TransportName, createPresignClient, createTransport } from "./create-client.js";
export { S3Error } from "./s3-error.js";
export type { DownloadDestination, UploadSource } from "./sources.js";
export {
  type PresignedHttp,
  type Progress,
  type TransferOptions,
  type TransferResult,
  downloadPresigned,
  uploadPresigned,
} from "./transfer.js";
export { PresignService } from "../gen/presign/v1/presign_pb.js";
