import type { SizedSource } from "../body/source.js";
import { type ClientContext, rpc, seconds } from "../client-context.js";
import type { UploadParams, UploadResult } from "../options.js";
import type { ProgressMeter } from "./progress-meter.js";
import { sendPresigned } from "./send-presigned.js";

/** The settings a single PUT uses. @private */
export interface PutSettings {
  readonly signal?: AbortSignal | undefined;
  readonly retries: number;
  readonly idleTimeout: number;
}

/** One presigned PUT of the whole source, retried, presigned again if the URL expired. @private */
export async function putObject(
  context: ClientContext,
  target: { key?: string; handle?: string },
  source: SizedSource,
  params: UploadParams,
  settings: PutSettings,
  meter: ProgressMeter,
): Promise<UploadResult> {
  const contentType = params.contentType ?? source.type;
  const presign = () =>
    rpc(settings.signal, (call) =>
      context.service.putObject(
        {
          ...target,
          ...(params.bucket ? { bucket: params.bucket } : {}),
          contentLength: BigInt(source.size),
          ...(contentType ? { contentType } : {}),
          ...(params.contentMd5 ? { contentMd5: params.contentMd5 } : {}),
          ...(params.checksumSha256 ? { checksumSha256: params.checksumSha256 } : {}),
          metadata: { ...params.metadata },
          ...(params.expiresIn !== undefined ? { expiresIn: seconds(params.expiresIn) } : {}),
        },
        call,
      ),
    );
  const answer = await sendPresigned(presign, source.slice(0, source.size), settings, meter);
  const etag = answer.headers.get("etag");
  const versionId = answer.headers.get("x-amz-version-id");
  return {
    status: answer.status,
    bytes: source.size,
    ...(etag ? { etag } : {}),
    ...(versionId ? { versionId } : {}),
  };
}

/** Why a parameter needs one PUT, if it does. @private */
export function onePutReason(target: { handle?: string }, params: UploadParams): string | undefined {
  if (params.checksumSha256) return "params.checksumSha256";
  if (params.contentMd5) return "params.contentMd5";
  if (target.handle) return "handle";
  return undefined;
}
