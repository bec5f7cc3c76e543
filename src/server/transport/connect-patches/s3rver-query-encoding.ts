import { createHash } from "node:crypto";
import type { RequestListener } from "node:http";
import { createPresigner, type SigningCredentials } from "../../../core/signer.js";
import { answer, checkPresignedSignature, signingDateOf } from "./s3rver-signature.js";

// s3rver 4 (lib/middleware/authentication.js) builds the SigV4 canonical query
// with encodeURIComponent, which leaves ! ' ( ) * unescaped, where SigV4 (and
// S3, RGW, the SDK) escape every character outside A-Z a-z 0-9 - _ . ~. A
// presigned URL whose query holds one of them — every Content-Disposition
// with `filename*=UTF-8''…` (download_filename), a name like "it's (1).txt" —
// is refused by the embedded S3 with SignatureDoesNotMatch, and by no real store.
const S3RVER_UNESCAPED = /[!'()*]/;

/**
 * In front of s3rver: a presigned (SigV4 query) request whose query holds
 * one of those characters has its signature checked exactly, with the SDK's
 * signer; if it holds, the request goes to s3rver with X-Amz-Signature
 * replaced by the one s3rver computes for it (its canonical request, as
 * lib/signature/v4.js builds it), so s3rver serves it as S3 would. A
 * signature that does not hold is refused here, as S3 refuses it. Every other
 * request goes to s3rver untouched.
 */
export function withSigV4QueryEncoding(
  s3rver: RequestListener,
  options: { readonly credentials: SigningCredentials },
): RequestListener {
  const presigner = createPresigner(options.credentials);
  return (req, res) => {
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const query = new URLSearchParams(q === -1 ? "" : url.slice(q + 1));
    if (!query.has("X-Amz-Signature") || ![...query].some(([k, v]) => S3RVER_UNESCAPED.test(k + v))) {
      s3rver(req, res);
      return;
    }
    const path = url.slice(0, q);
    translate().then(
      (refused) => {
        if (refused) answer(req, res, refused);
        else s3rver(req, res);
      },
      () => answer(req, res, { status: 500, code: "InternalError", message: "We encountered an internal error." }),
    );

    async function translate() {
      const refused = await checkPresignedSignature(presigner, options.credentials, req, path, query);
      if (refused) return refused;
      const [, shortDate = "", region = "", service = ""] = (query.get("X-Amz-Credential") ?? "").split("/");
      const signedHeaders = (query.get("X-Amz-SignedHeaders") ?? "").split(";");
      const canonicalQuery = [...query]
        .filter(([name]) => name !== "X-Amz-Signature")
        .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
        .sort()
        .join("&");
      const canonicalRequest = [
        req.method,
        path,
        canonicalQuery,
        signedHeaders.map((name) => `${name}:${req.headers[name] ?? ""}\n`).join(""),
        signedHeaders.join(";"),
        "UNSIGNED-PAYLOAD",
      ].join("\n");
      const stringToSign = [
        "AWS4-HMAC-SHA256",
        query.get("X-Amz-Date"),
        [shortDate, region, service, "aws4_request"].join("/"),
        createHash("sha256").update(canonicalRequest).digest("hex"),
      ].join("\n");
      const signature = await presigner.sign(stringToSign, {
        signingDate: signingDateOf(query.get("X-Amz-Date") ?? ""),
        signingRegion: region,
        signingService: service,
      });
      query.set("X-Amz-Signature", signature);
      req.url = `${path}?${query.toString()}`;
      return undefined;
    }
  };
}
