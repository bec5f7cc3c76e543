import { mkdir } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import S3rver from "@20minutes/s3rver";
import type { SigningCredentials } from "../../core/signer.js";
import { ConfigError } from "../config/config.js";
import { withMultipartAbort } from "../transport/connect-patches/s3rver-abort-multipart.js";
import { withSigV4QueryEncoding } from "../transport/connect-patches/s3rver-query-encoding.js";
import { listenFailure } from "../transport/listen-failure.js";

/** The embedded S3's fixed account (s3rver's built-in key pair). Local only. */
export const DEV_CREDENTIALS: SigningCredentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

// Lets browser code (fetch/XHR, the --dev page) upload and download from any
// local page: ETag (parts, ranges) and Content-Range (ranged downloads) exposed,
// DELETE for aborting a multipart upload.
const DEV_CORS = [
  "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin>",
  ...["GET", "PUT", "POST", "DELETE", "HEAD"].map((method) => `<AllowedMethod>${method}</AllowedMethod>`),
  "<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><ExposeHeader>Content-Range</ExposeHeader>",
  "</CORSRule></CORSConfiguration>",
].join("");

const DATA_DIR = "--dev-data-dir (PRESIGND_DEV_DATA_DIR)";

export interface DevS3 {
  /** e.g. http://127.0.0.1:4568 */
  readonly endpoint: string;
  close(): Promise<void>;
}

/**
 * A real local S3 server (s3rver) in this process, verifying SigV4 presigned
 * signatures, expiry and signed headers; objects are files under dataDir.
 * Served from our own HTTP server through s3rver's documented callback():
 * its run() leaves the server's "error" event unhandled, so a port in use
 * crashed the process with a stack trace instead of one line.
 */
export async function startDevS3(options: {
  dataDir: string;
  host: string;
  port: number;
  buckets: readonly string[];
}): Promise<DevS3> {
  const s3 = new S3rver({
    directory: options.dataDir,
    silent: true,
    configureBuckets: options.buckets.map((name) => ({ name, configs: [DEV_CORS] })),
  });
  try {
    await mkdir(options.dataDir, { recursive: true });
    await s3.configureBuckets();
  } catch (error) {
    throw new ConfigError(`${DATA_DIR}: cannot create ${options.dataDir}: ${(error as Error).message}`);
  }
  // s3rver cannot abort a multipart upload: that one request is answered in front of it.
  const server = http.createServer(
    withMultipartAbort(withSigV4QueryEncoding(s3.callback(), { credentials: DEV_CREDENTIALS }), {
      dataDir: options.dataDir,
      credentials: DEV_CREDENTIALS,
    }),
  );
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error) =>
      reject(
        listenFailure(
          error,
          "--dev-s3-addr (PRESIGND_DEV_S3_ADDR)",
          "--dev-s3-addr",
          `${options.host}:${options.port}`,
        ),
      ),
    );
    server.listen(options.port, options.host, resolve);
  });
  const address = server.address() as AddressInfo;
  const host = address.address.includes(":") ? `[${address.address}]` : address.address;
  return {
    endpoint: `http://${host}:${address.port}`,
    close: () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
