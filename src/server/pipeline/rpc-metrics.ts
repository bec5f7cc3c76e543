import { ConnectError, type Interceptor } from "@connectrpc/connect";
import { codeToString } from "../transport/connect-patches/connect-codes.js";
import { rpcProtocol } from "./rpc-protocol.js";

/** The method label of requests for a path that names no RPC (scanners, typos): one series, whatever the path. */
export const UNKNOWN_METHOD = "unknown";

/** Where RPC outcomes go (the server's Metrics). */
export interface RpcObserver {
  /** `seconds` for unary RPCs only. */
  rpc(method: string, protocol: string, code: string, seconds?: number): void;
}

/**
 * Counts every RPC once, by method, protocol and code, and times unary ones.
 * Placed after the logging interceptor, so it sees the code the caller gets
 * (errors already mapped). A streaming RPC counts when its stream ends:
 * "canceled" (or "deadline_exceeded") when it ended because the call was aborted.
 */
export function rpcMetrics(observer: RpcObserver): Interceptor {
  return (next) => async (req) => {
    const start = performance.now();
    const method = req.method.name;
    const protocol = rpcProtocol(req);
    try {
      const res = await next(req);
      if (!res.stream) {
        observer.rpc(method, protocol, "ok", (performance.now() - start) / 1000);
        return res;
      }
      return { ...res, message: counted(res.message, req.signal, (code) => observer.rpc(method, protocol, code)) };
    } catch (error) {
      const code = codeToString(ConnectError.from(error).code);
      observer.rpc(method, protocol, code, req.stream ? undefined : (performance.now() - start) / 1000);
      throw error;
    }
  };
}

/** The messages of a stream; `done` is told its code when it ends. */
async function* counted<T>(
  messages: AsyncIterable<T>,
  signal: AbortSignal,
  done: (code: string) => void,
): AsyncIterable<T> {
  let code = "canceled";
  try {
    yield* messages;
    // A stream that ends because the call was aborted (the caller left, the deadline) did not succeed.
    code = signal.aborted ? codeToString(ConnectError.from(signal.reason).code) : "ok";
  } catch (error) {
    code = codeToString(ConnectError.from(error).code);
    throw error;
  } finally {
    done(code);
  }
}
