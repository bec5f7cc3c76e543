import { timingSafeEqual } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import type { IncomingMessage, RequestListener, ServerResponse } from "node:http";
import { join } from "node:path";
import { HttpRequest } from "@smithy/core/protocols";
import {
  createPresigner,
  PAYLOAD_HASH_HEADER,
  type SigningCredentials,
  UNSIGNED_PAYLOAD,
} from "../../../core/signer.js";

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
    const refused = await checkSignature(req, path, query);
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

  async function checkSignature(
    req: IncomingMessage,
    path: string,
    query: URLSearchParams,
  ): Promise<Outcome | undefined> {
    const date = query.get("X-Amz-Date") ?? "";
    const expiresIn = Number(query.get("X-Amz-Expires"));
    const [accessKeyId, , region] = (query.get("X-Amz-Credential") ?? "").split("/");
    const signature = query.get("X-Amz-Signature") ?? "";
    const signedHeaders = (query.get("X-Amz-SignedHeaders") ?? "").split(";").filter(Boolean);
    const signingDate = new Date(date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
    if (!region || !signature || !Number.isInteger(expiresIn) || Number.isNaN(signingDate.getTime())) {
      return { status: 403, code: "AccessDenied", message: "Only presigned (SigV4 query) aborts are supported here." };
    }
    if (accessKeyId !== options.credentials.accessKeyId) {
      return { status: 403, code: "InvalidAccessKeyId", message: "The AWS Access Key Id does not exist." };
    }
    if (Date.now() > signingDate.getTime() + expiresIn * 1000) {
      return { status: 403, code: "AccessDenied", message: "Request has expired" };
    }
    const headers: Record<string, string> = { [PAYLOAD_HASH_HEADER]: UNSIGNED_PAYLOAD };
    for (const name of signedHeaders) headers[name] = String(req.headers[name] ?? "");
    const signed = await presigner.presign(
      new HttpRequest({
        method: "DELETE",
        hostname: "",
        path,
        query: Object.fromEntries([...query].filter(([name]) => !name.startsWith("X-Amz-"))),
        headers,
      }),
      { signingDate, signingRegion: region, expiresIn, signableHeaders: new Set(signedHeaders) },
    );
    const expected = Buffer.from(String(signed.query?.["X-Amz-Signature"]));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
      return {
        status: 403,
        code: "SignatureDoesNotMatch",
        message: "The request signature we calculated does not match the signature you provided.",
      };
    }
    return undefined;
  }
}

interface Outcome {
  readonly status: number;
  readonly code?: string;
  readonly message?: string;
}

function answer(req: IncomingMessage, res: ServerResponse, outcome: Outcome): void {
  // The bucket's dev CORS rule allows any origin (dev-s3.ts), as s3rver would answer.
  const cors: Record<string, string> = req.headers.origin ? { "access-control-allow-origin": "*" } : {};
  if (outcome.status === 204) {
    res.writeHead(204, cors).end();
    return;
  }
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${outcome.code}</Code><Message>${outcome.message}</Message></Error>`;
  res
    .writeHead(outcome.status, {
      ...cors,
      "content-type": "application/xml",
      "content-length": Buffer.byteLength(body),
    })
    .end(body);
}
