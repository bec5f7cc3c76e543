import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { PresignedHttpRequest } from "../../../core/signer.js";
import type { PresignedRequestSchema } from "../../../gen/presign/v1/presign_pb.js";

export type PresignedRequestInit = MessageInitShape<typeof PresignedRequestSchema>;

/** A core presigned request as the PresignedRequest message. */
export function presignedMessage(signed: PresignedHttpRequest): PresignedRequestInit {
  return {
    url: signed.url,
    method: signed.method,
    headers: signed.headers,
    expiresAt: timestampFromDate(signed.expiresAt),
  };
}
