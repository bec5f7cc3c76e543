import type { HandlerContext } from "@connectrpc/connect";
import { presignList } from "../../../core/presign-list.js";
import type { ListObjectsRequest } from "../../../gen/presign/v1/presign_pb.js";
import { presignObject } from "../presign-object.js";
import { type PresignedRequestInit, presignedMessage } from "./presigned-message.js";
import type { RouteDeps } from "./route-deps.js";

/**
 * ListObjects: presign ListObjectsV2 of the keys under a prefix. The prefix
 * is authorised as a prefix (every key under it must be the caller's to
 * list) and signed into the query, so S3 lists nothing else.
 */
export function listObjects(deps: RouteDeps) {
  return async (req: ListObjectsRequest, ctx: HandlerContext): Promise<PresignedRequestInit> => {
    const signed = await presignObject(
      deps,
      ctx,
      { bucket: req.bucket, key: req.prefix, handle: "" },
      { operation: "list", keyField: "prefix", keyIsPrefix: true, metadataNames: [] },
      { rpc: "ListObjects" },
      ({ endpoint, granted, context }) =>
        presignList(
          endpoint,
          {
            // The form the rule matched (NFC for templated rules), as for keys.
            prefix: granted.key,
            delimiter: req.delimiter,
            maxKeys: req.maxKeys,
            startAfter: req.startAfter,
            continuationToken: req.continuationToken,
            ...(req.expiresIn ? { expiresIn: req.expiresIn } : {}),
          },
          context,
        ),
    );
    return presignedMessage(signed);
  };
}
