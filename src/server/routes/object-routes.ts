import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { presignGet } from "../../core/presign-get.js";
import { presignPut } from "../../core/presign-put.js";
import type { PresignedHttpRequest } from "../../core/signer.js";
import type { GetObjectRequest, PresignedRequestSchema, PutObjectRequest } from "../../gen/presign/v1/presign_pb.js";
import type { Signing } from "../signing.js";

type PresignedRequestInit = MessageInitShape<typeof PresignedRequestSchema>;

/** GetObject: presign a download. */
export function getObject(signing: Signing) {
  return async (req: GetObjectRequest): Promise<PresignedRequestInit> => {
    const endpoint = signing.bucket(req.bucket);
    const o = req.overrides;
    const signed = await presignGet(
      endpoint,
      {
        key: req.key,
        versionId: req.versionId,
        range: req.range,
        ...(req.expiresIn ? { expiresIn: req.expiresIn } : {}),
        ...(o
          ? {
              overrides: {
                contentType: o.contentType,
                contentDisposition: o.contentDisposition,
                cacheControl: o.cacheControl,
                contentEncoding: o.contentEncoding,
                contentLanguage: o.contentLanguage,
                expires: o.expires,
              },
            }
          : {}),
      },
      await signing.context(),
    );
    return toMessage(signed);
  };
}

/** PutObject: presign a single-request upload of an exact length. */
export function putObject(signing: Signing) {
  return async (req: PutObjectRequest): Promise<PresignedRequestInit> => {
    const endpoint = signing.bucket(req.bucket);
    const signed = await presignPut(
      endpoint,
      {
        key: req.key,
        contentLength: req.contentLength,
        contentType: req.contentType,
        contentMd5: req.contentMd5,
        checksumSha256: req.checksumSha256,
        metadata: req.metadata,
        ...(req.expiresIn ? { expiresIn: req.expiresIn } : {}),
      },
      await signing.context(),
    );
    return toMessage(signed);
  };
}

function toMessage(signed: PresignedHttpRequest): PresignedRequestInit {
  return {
    url: signed.url,
    method: signed.method,
    headers: signed.headers,
    expiresAt: timestampFromDate(signed.expiresAt),
  };
}
