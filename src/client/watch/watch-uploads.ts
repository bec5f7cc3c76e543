import { timestampDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { UploadKind, type UploadLanded } from "../../gen/client/presign/v1/presign_pb.js";
import type { ClientContext } from "../client-context.js";
import { fromRpcFailure, TransferAbortedError } from "../errors.js";
import type { LandedUpload, WatchOptions } from "../options.js";

const KINDS: Record<number, LandedUpload["kind"]> = {
  [UploadKind.PUT]: "put",
  [UploadKind.POST]: "post",
  [UploadKind.MULTIPART]: "multipart",
};

/** Codes after which the same watch is opened again (from the last cursor): the server or the network, not the request. */
const RECONNECT: ReadonlySet<Code> = new Set([
  Code.Unavailable,
  Code.Unknown,
  Code.Internal,
  Code.DeadlineExceeded,
  Code.Aborted,
]);

/** The longest wait between reconnections. */
const MAX_BACKOFF_MS = 30_000;

/**
 * The uploads that land under `prefix`, as presignd verified them
 * (WatchUploads), until `signal` aborts. A stream that breaks or that the
 * server ends (a restart, a drain) is opened again after a backoff, from the
 * last event's cursor, so nothing is missed that the server still keeps;
 * an event may then come twice (compare `cursor`). A refusal (permission,
 * bad input, no handle store) rejects with RpcError.
 * @private
 */
export async function* watchUploads(
  context: ClientContext,
  prefix: string,
  options: WatchOptions = {},
): AsyncGenerator<LandedUpload> {
  const { signal } = options;
  let cursor = options.cursor ?? "";
  let failures = 0;
  while (!signal?.aborted) {
    try {
      const stream = context.service.watchUploads(
        { prefix, cursor, ...(options.bucket ? { bucket: options.bucket } : {}) },
        signal ? { signal } : {},
      );
      for await (const event of stream) {
        failures = 0;
        cursor = event.cursor;
        yield landedUpload(event);
      }
    } catch (error) {
      if (signal?.aborted) break;
      const code = ConnectError.from(error).code;
      if (!RECONNECT.has(code)) throw fromRpcFailure(error, signal);
    }
    failures++;
    await backoff(Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(failures, 10)), signal);
  }
  throw new TransferAbortedError(signal?.reason);
}

function landedUpload(event: UploadLanded): LandedUpload {
  const o = event.object;
  return {
    cursor: event.cursor,
    bucket: o?.bucket ?? "",
    key: o?.key ?? "",
    size: Number(o?.size ?? 0n),
    etag: o?.etag ?? "",
    ...(o?.versionId ? { versionId: o.versionId } : {}),
    ...(o?.lastModified ? { lastModified: timestampDate(o.lastModified) } : {}),
    contentType: o?.contentType ?? "",
    metadata: { ...o?.metadata },
    ...(o?.checksumSha256 ? { checksumSha256: o.checksumSha256 } : {}),
    kind: KINDS[event.kind] ?? "put",
    ...(event.landedAt ? { landedAt: timestampDate(event.landedAt) } : {}),
    verified: [...event.verified],
    unverified: [...event.unverified],
  };
}

/** Waits about `ms` (full jitter), or until the signal aborts. */
function backoff(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms / 2 + (Math.random() * ms) / 2);
    signal?.addEventListener("abort", done, { once: true });
  });
}
