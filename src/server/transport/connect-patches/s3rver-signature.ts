import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpRequest } from "@smithy/core/protocols";
import {
  type createPresigner,
  PAYLOAD_HASH_HEADER,
  type SigningCredentials,
  UNSIGNED_PAYLOAD,
} from "../../../core/signer.js";

// Shared by the patches in front of the embedded S3 (s3rver): a SigV4 query
// signature checked exactly, with the SDK's signer, and S3's error answers.

/** What a patch answers instead of s3rver: a status, and an S3 error code and message for errors. */
export interface Outcome {
  readonly status: number;
  readonly code?: string;
  readonly message?: string;
}

/**
 * Checks a presigned (SigV4 query) request's signature with the SDK's signer
 * for the dev credentials: undefined when it holds, else S3's refusal.
 */
export async function checkPresignedSignature(
  presigner: ReturnType<typeof createPresigner>,
  credentials: SigningCredentials,
  req: IncomingMessage,
  path: string,
  query: URLSearchParams,
): Promise<Outcome | undefined> {
  const date = query.get("X-Amz-Date") ?? "";
  const expiresIn = Number(query.get("X-Amz-Expires"));
  const [accessKeyId, , region] = (query.get("X-Amz-Credential") ?? "").split("/");
  const signature = query.get("X-Amz-Signature") ?? "";
  const signedHeaders = (query.get("X-Amz-SignedHeaders") ?? "").split(";").filter(Boolean);
  const signingDate = signingDateOf(date);
  if (!region || !signature || !Number.isInteger(expiresIn) || Number.isNaN(signingDate.getTime())) {
    return { status: 403, code: "AccessDenied", message: "Only presigned (SigV4 query) requests are supported here." };
  }
  if (accessKeyId !== credentials.accessKeyId) {
    return { status: 403, code: "InvalidAccessKeyId", message: "The AWS Access Key Id does not exist." };
  }
  if (Date.now() > signingDate.getTime() + expiresIn * 1000) {
    return { status: 403, code: "AccessDenied", message: "Request has expired" };
  }
  const headers: Record<string, string> = { [PAYLOAD_HASH_HEADER]: UNSIGNED_PAYLOAD };
  for (const name of signedHeaders) headers[name] = String(req.headers[name] ?? "");
  const signed = await presigner.presign(
    new HttpRequest({
      method: req.method ?? "GET",
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

/** X-Amz-Date (20261202T031500Z) as a Date; Invalid Date when malformed. */
export function signingDateOf(amzDate: string): Date {
  return new Date(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, "$1-$2-$3T$4:$5:$6Z"));
}

/** S3's answer for `outcome`: 204, or its XML error document. */
export function answer(req: IncomingMessage, res: ServerResponse, outcome: Outcome): void {
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
