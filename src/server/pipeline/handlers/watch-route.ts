import type { MessageInitShape } from "@bufbuild/protobuf";
import type { HandlerContext } from "@connectrpc/connect";
import { invalidField, PresignError } from "../../../core/presign-error.js";
import type { UploadLandedSchema, WatchUploadsRequest } from "../../../gen/presign/v1/presign_pb.js";
import { landedMessage } from "../../uploads/landed-message.js";
import { ledgerUnavailable } from "../presign-object.js";
import type { RouteDeps } from "./route-deps.js";

/** A cursor as UploadLanded.cursor gives it: the event's sequence number. */
const CURSOR = /^(0|[1-9][0-9]{0,18})$/;

/** WatchUploads: authorise `watch` on the prefix, then stream the uploads that land under it. */
export function watchUploads(deps: RouteDeps) {
  return async function* (
    req: WatchUploadsRequest,
    ctx: HandlerContext,
  ): AsyncGenerator<MessageInitShape<typeof UploadLandedSchema>> {
    const feed = deps.feed;
    if (!feed) {
      throw new PresignError(
        "failed_precondition",
        "WatchUploads needs a handle store, where uploads signed are recorded: start the server with --handle-store",
      );
    }
    if (req.cursor && !CURSOR.test(req.cursor))
      throw invalidField("cursor", "is not a cursor from UploadLanded.cursor");
    const endpoint = deps.signing.bucket(req.bucket);
    const granted = deps.access.check(ctx, {
      operation: "watch",
      bucket: endpoint.bucket,
      key: req.prefix,
      keyField: "prefix",
      keyIsPrefix: true,
      metadataNames: [],
    });
    granted.allowed();
    const after = req.cursor ? BigInt(req.cursor) : await feed.ledger.latestEvent().catch(ledgerUnavailable);
    for await (const event of feed.watch(endpoint.bucket, granted.key, after, ctx.signal)) yield landedMessage(event);
  };
}
