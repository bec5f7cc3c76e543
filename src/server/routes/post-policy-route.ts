import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { presignPost } from "../../core/presign-post.js";
import type { PostPolicyRequest, PostPolicyResponseSchema } from "../../gen/presign/v1/presign_pb.js";
import type { Signing } from "../signing.js";

/** PostPolicy: sign a browser-form upload policy. */
export function postPolicy(signing: Signing) {
  return async (req: PostPolicyRequest): Promise<MessageInitShape<typeof PostPolicyResponseSchema>> => {
    const endpoint = signing.bucket(req.bucket);
    const signed = await presignPost(
      endpoint,
      {
        key: req.key,
        keyPrefix: req.keyPrefix,
        minContentLength: req.minContentLength,
        maxContentLength: req.maxContentLength,
        contentType: req.contentType,
        contentTypePrefix: req.contentTypePrefix,
        successActionStatus: req.successActionStatus,
        metadata: req.metadata,
        ...(req.expiresIn ? { expiresIn: req.expiresIn } : {}),
      },
      await signing.context(),
    );
    return { url: signed.url, fields: signed.fields, expiresAt: timestampFromDate(signed.expiresAt) };
  };
}
