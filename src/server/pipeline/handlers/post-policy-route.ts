import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { HandlerContext } from "@connectrpc/connect";
import { invalidField } from "../../../core/presign-error.js";
import { FILENAME, presignPost } from "../../../core/presign-post.js";
import type { PostPolicyRequest, PostPolicyResponseSchema } from "../../../gen/presign/v1/presign_pb.js";
import { presignObject } from "../presign-object.js";
import type { RouteDeps } from "./route-deps.js";

/** PostPolicy: sign a browser-form upload policy. */
export function postPolicy(deps: RouteDeps) {
  return async (
    req: PostPolicyRequest,
    ctx: HandlerContext,
  ): Promise<MessageInitShape<typeof PostPolicyResponseSchema>> => {
    // At most one of key, key_prefix and handle: the proto's oneof rule, checked before any handler runs.
    if (!req.key && !req.keyPrefix && !req.handle) throw invalidField("key", "is required (or key_prefix, or handle)");
    const byPrefix = req.keyPrefix !== "";
    const maxContentLength = (granted: { maxContentLength?: bigint }) =>
      req.maxContentLength || (granted.maxContentLength ?? deps.postMaxSize);
    const signed = await presignObject(
      deps,
      ctx,
      { bucket: req.bucket, key: byPrefix ? req.keyPrefix : req.key, handle: req.handle },
      {
        operation: "post",
        keyField: byPrefix ? "key_prefix" : "key",
        keyIsPrefix: byPrefix,
        contentLength: req.maxContentLength,
        contentType: req.contentType || req.contentTypePrefix,
        contentTypeIsPrefix: req.contentType === "" && req.contentTypePrefix !== "",
        metadataNames: Object.keys(req.metadata),
      },
      { rpc: "PostPolicy", contentType: req.contentType || req.contentTypePrefix },
      ({ endpoint, granted, context }) =>
        presignPost(
          endpoint,
          {
            ...(byPrefix ? { keyPrefix: granted.key } : { key: granted.key }),
            minContentLength: req.minContentLength,
            // Unset: the allowing rule's limit, else the server's --post-max-size.
            maxContentLength: maxContentLength(granted),
            contentType: req.contentType,
            contentTypePrefix: req.contentTypePrefix,
            successActionStatus: req.successActionStatus,
            metadata: req.metadata,
            ...(req.expiresIn ? { expiresIn: req.expiresIn } : {}),
          },
          context,
        ),
      // Only a form for one exact key is recorded: a prefix or "${filename}" names no object.
      byPrefix || req.key.endsWith(FILENAME)
        ? undefined
        : (granted) => ({
            kind: "post",
            expectation: {
              minLength: req.minContentLength,
              maxLength: maxContentLength(granted),
              ...(req.contentType || req.contentTypePrefix
                ? { contentType: req.contentType || req.contentTypePrefix, contentTypeIsPrefix: !req.contentType }
                : {}),
              ...(Object.keys(req.metadata).length > 0 ? { metadata: req.metadata } : {}),
            },
          }),
    );
    return { url: signed.url, fields: signed.fields, expiresAt: timestampFromDate(signed.expiresAt) };
  };
}
