import type { Client } from "@connectrpc/connect";
import type { PresignService } from "../gen/client/presign/v1/presign_pb.js";
import { fromRpcFailure } from "./errors.js";
import type { Platform } from "./platform.js";

/** What the transfer functions share: the RPC client and the platform. @private */
export interface ClientContext {
  readonly service: Client<typeof PresignService>;
  readonly platform: Platform;
}

/** Calls presignd: failures become RpcError, the caller's abort TransferAbortedError. @private */
export async function rpc<T>(
  signal: AbortSignal | undefined,
  call: (options: { signal?: AbortSignal }) => Promise<T>,
): Promise<T> {
  try {
    return await call(signal ? { signal } : {});
  } catch (error) {
    throw fromRpcFailure(error, signal);
  }
}

/** A protobuf Duration of whole seconds. @private */
export function seconds(value: number | undefined): { seconds: bigint } | undefined {
  return value === undefined ? undefined : { seconds: BigInt(value) };
}
