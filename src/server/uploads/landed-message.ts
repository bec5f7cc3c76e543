import { create, type MessageInitShape, toJsonString } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { UploadKind, UploadLandedSchema } from "../../gen/presign/v1/presign_pb.js";
import type { LandedEvent } from "./upload-ledger.js";

const KINDS = { put: UploadKind.PUT, post: UploadKind.POST, multipart: UploadKind.MULTIPART } as const;

/** A landed upload as the proto's UploadLanded: what WatchUploads streams. */
export function landedMessage(event: LandedEvent): MessageInitShape<typeof UploadLandedSchema> {
  const d = event.detail;
  return {
    cursor: event.seq.toString(),
    object: {
      bucket: event.bucket,
      key: event.key,
      size: BigInt(d.size),
      etag: d.etag,
      versionId: d.versionId ?? "",
      ...(d.lastModified ? { lastModified: timestampFromDate(new Date(d.lastModified)) } : {}),
      contentType: d.contentType,
      metadata: { ...d.metadata },
      checksumSha256: d.checksumSha256 ?? "",
      checksumCrc32c: d.checksumCrc32c ?? "",
    },
    kind: KINDS[event.kind],
    landedAt: timestampFromDate(event.landedAt),
    verified: [...d.verified],
    unverified: [...d.unverified],
  };
}

/** The same message as JSON, as a Connect watcher receives it (protobuf-es's canonical JSON): the webhook body. */
export function landedJson(event: LandedEvent): string {
  return toJsonString(UploadLandedSchema, create(UploadLandedSchema, landedMessage(event)));
}
