import { readdir, readFile, rm } from "node:fs/promises";
import type { IncomingMessage, RequestListener } from "node:http";
import { join } from "node:path";
import { createPresigner, type SigningCredentials } from "../../../core/signer.js";
import { answer, checkPresignedSignature, type Outcome } from "./s3rver-signature.js";

// s3rver 4 has no AbortMultipartUpload (DELETE ?uploadId answers 405
// MethodNotAllowed) and no ListMultipartUploads, so a cancelled upload's
// parts stayed on disk forever. Its FilesystemStore keeps an upload in
// <dataDir>/<bucket>/._S3rver_uploads/<uploadId>/, whose `key` file names the object.
const UPLOADS_DIR = "._S3rver_uploads";
/** s3rver's upload ids: 16 random bytes in hex. */
const UPLOAD_ID = /^[0-9a-f]{32}$/;

/** The multipart uploads in progress in the embedded S3's bucket, read where s3rver keeps them. */
export async function devS3MultipartUploads(
  dataDir: string,
  bucket: string,
): Promise<{ uploadId: string; key: string }[]> {
  const root = join(dataDir, bucket, UPLOADS_DIR);
  const ids = await readdir(root).catch(() => [] as string[]);
  return Promise.all(
    ids.map(async (uploadId) => ({ uploadId, key: await readFile(join(root, uploadId, "key"), "utf8") })),
  );
}

/**
 * Answers AbortMultipartUpload in front of s3rver: a presigned DELETE with
 * `uploadId`, its SigV4 query signature checked with the SDK's signer for the
 * dev credentials (as s3rver checks the rest), removes the upload's parts.
 * Every other request goes to s3rver.
 */
export function withMultipartAbort(
  s3rver: RequestListener,
  options: { readonly dataDir: string; readonly credentials: SigningCredentials },
): RequestListener {
  const presigner = createPresigner(options.credentials);
  return (req, res) => {
    const [path = "/", search = ""] = (req.url ?? "/").split("?", 2);
    const query = new URLSearchParams(search);
    if (req.method !== "DELETE" || !query.has("uploadId")) {
      s3rver(req, res);
      return;
    }
    abort(req, path, query).then(
      (status) => answer(req, res, status),
      () => answer(req, res, { status: 500, code: "InternalError", message: "We encountered an internal error." }),
    );
  };

  async function abort(req: IncomingMessage, path: string, query: URLSearchParams): Promise<Outcome> {
    const refused = await checkPresignedSignature(presigner, options.credentials, req, path, query);
    if (refused) return refused;
    const [bucket = "", ...keyParts] = path.slice(1).split("/").map(decodeURIComponent);
    const uploadId = query.get("uploadId") ?? "";
    const dir = join(options.dataDir, bucket, UPLOADS_DIR, uploadId);
    const key = UPLOAD_ID.test(uploadId) ? await readFile(join(dir, "key"), "utf8").catch(() => undefined) : undefined;
    if (key === undefined || key !== keyParts.join("/")) {
      return { status: 404, code: "NoSuchUpload", message: "The specified upload does not exist." };
    }
    await rm(dir, { recursive: true, force: true });
    return { status: 204 };
  }
}
