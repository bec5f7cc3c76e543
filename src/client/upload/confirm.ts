import { timestampDate } from "@bufbuild/protobuf/wkt";
import { ConfirmedAgainst } from "../../gen/client/presign/v1/presign_pb.js";
import { type ClientContext, rpc } from "../client-context.js";
import type { ConfirmExpectations, ConfirmedUpload, ObjectTarget } from "../options.js";
import { targetFields } from "../options-check.js";

/**
 * Asks presignd to check that an upload landed and is what was signed
 * (ConfirmUpload): it HEADs the object with its own credentials. Rejects
 * with RpcError: FailedPrecondition naming the property that differs, or
 * NotFound when the object is not there (yet).
 * @private
 */
export async function confirmUpload(
  context: ClientContext,
  target: ObjectTarget,
  options: { readonly bucket?: string; readonly expect?: ConfirmExpectations; readonly signal?: AbortSignal } = {},
): Promise<ConfirmedUpload> {
  const fields = targetFields(target);
  const e = options.expect ?? {};
  const answer = await rpc(options.signal, (call) =>
    context.service.confirmUpload(
      {
        ...fields,
        ...(options.bucket ? { bucket: options.bucket } : {}),
        expect: {
          ...(e.contentLength === undefined ? {} : { contentLength: BigInt(e.contentLength) }),
          contentType: e.contentType ?? "",
          contentMd5: e.contentMd5 ?? "",
          checksumSha256: e.checksumSha256 ?? "",
          metadata: { ...e.metadata },
        },
      },
      call,
    ),
  );
  const o = answer.object;
  return {
    bucket: o?.bucket ?? "",
    key: o?.key ?? "",
    size: Number(o?.size ?? 0n),
    etag: o?.etag ?? "",
    ...(o?.versionId ? { versionId: o.versionId } : {}),
    ...(o?.lastModified ? { lastModified: timestampDate(o.lastModified) } : {}),
    contentType: o?.contentType ?? "",
    metadata: { ...o?.metadata },
    ...(o?.checksumSha256 ? { checksumSha256: o.checksumSha256 } : {}),
    against: answer.against === ConfirmedAgainst.SIGNED ? "signed" : "expectations",
    verified: [...answer.verified],
    unverified: [...answer.unverified],
  };
}
