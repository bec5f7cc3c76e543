import { mkdir } from "node:fs/promises";
import S3rver from "@20minutes/s3rver";
import type { SigningCredentials } from "../core/signer.js";

/** The embedded S3's fixed account (s3rver's built-in key pair). Local only. */
export const DEV_CREDENTIALS: SigningCredentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

// Lets browser code (fetch/XHR) upload and download from any local page.
const DEV_CORS = `<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedMethod>HEAD</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader></CORSRule></CORSConfiguration>`;

export interface DevS3 {
  /** e.g. http://127.0.0.1:4568 */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * A real local S3 server (s3rver) in this process, verifying SigV4 presigned
 * signatures, expiry and signed headers; objects are files under dataDir.
 */
export async function startDevS3(options: {
  dataDir: string;
  host: string;
  port: number;
  buckets: readonly string[];
}): Promise<DevS3> {
  await mkdir(options.dataDir, { recursive: true });
  const server = new S3rver({
    address: options.host,
    port: options.port,
    directory: options.dataDir,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [DEV_CORS] })),
  });
  const address = await server.run();
  const host = address.address.includes(":") ? `[${address.address}]` : address.address;
  return { endpoint: `http://${host}:${address.port}`, close: () => server.close() };
}
