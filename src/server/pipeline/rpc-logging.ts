import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { keyField } from "../access/audit.js";
import { PRINCIPAL } from "../auth/principal.js";
import type { KeyLogging } from "../config/config.js";
import { codeToString } from "../transport/connect-patches/connect-codes.js";
import { isUnparsableMessage } from "../transport/connect-patches/connect-parse-errors.js";
import { REQUEST_ID, requestIdFrom } from "./request-id.js";
import { rpcProtocol } from "./rpc-protocol.js";
import { onStreamEnd } from "./stream-end.js";

/**
 * One log line per RPC: method, protocol, code, duration, bucket and the key
 * as --log-keys allows. Never the request or response message as a whole:
 * responses hold signatures and session tokens.
 */
export function rpcLogging(logger: Logger, logKeys: KeyLogging): Interceptor {
  return (next) => async (req) => {
    const start = performance.now();
    const requestId = requestIdFrom(req.header);
    req.contextValues.set(REQUEST_ID, requestId);
    const line: Record<string, unknown> = {
      rpc: req.method.name,
      request_id: requestId,
      protocol: rpcProtocol(req),
    };
    if (!req.stream) Object.assign(line, objectFields(req.message as { bucket?: unknown; key?: unknown }, logKeys));
    const ok = (code = "ok") => {
      const principal = req.contextValues.get(PRINCIPAL);
      if (principal) line.principal = principal.subject;
      logger.info({ ...line, code, ms: elapsed(start) }, "rpc");
    };
    const failed = (error: unknown) => {
      const e = ConnectError.from(error);
      const principal = req.contextValues.get(PRINCIPAL);
      if (principal) line.principal = principal.subject;
      // A stream's request message that does not parse is the caller's garbage, not our bug; the
      // Connect protocol answers it as invalid_argument (connect-patches/connect-parse-errors.ts).
      const garbage = isUnparsableMessage(e);
      const level = !garbage && (e.code === Code.Internal || e.code === Code.Unknown) ? "error" : "info";
      const code = garbage && String(line.protocol).startsWith("connect") ? "invalid_argument" : codeToString(e.code);
      // The cause is the server's own detail (e.g. why the handle store failed), kept from the caller.
      const cause = e.cause instanceof Error && !(e.cause instanceof ConnectError) ? { cause: e.cause.message } : {};
      logger[level]({ ...line, code, ms: elapsed(start), error: e.rawMessage, ...cause }, "rpc");
      return e;
    };
    try {
      const res = await next(req);
      if (!res.stream) {
        ok();
        return res;
      }
      // A server stream is logged when it ends: "canceled" when the caller left.
      return {
        ...res,
        message: onStreamEnd(res.message, (outcome) => {
          if (outcome === undefined)
            ok(req.signal.aborted ? codeToString(ConnectError.from(req.signal.reason).code) : "ok");
          else if (outcome === "abandoned") ok("canceled");
          else return failed(outcome);
          return undefined;
        }),
      };
    } catch (error) {
      throw failed(error);
    }
  };
}

function objectFields(message: { bucket?: unknown; key?: unknown }, logKeys: KeyLogging): Record<string, unknown> {
  return {
    ...(typeof message.bucket === "string" ? { bucket: message.bucket } : {}),
    ...(typeof message.key === "string" && message.key !== "" ? keyField(message.key, logKeys) : {}),
  };
}

function elapsed(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}
