import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { keyField } from "../access/audit.js";
import { PRINCIPAL } from "../auth/principal.js";
import type { KeyLogging } from "../config/config.js";
import { codeToString } from "../transport/connect-patches/connect-codes.js";
import { REQUEST_ID, requestIdFrom } from "./request-id.js";
import { rpcProtocol } from "./rpc-protocol.js";

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
    try {
      const res = await next(req);
      const principal = req.contextValues.get(PRINCIPAL);
      if (principal) line.principal = principal.subject;
      logger.info({ ...line, code: "ok", ms: elapsed(start) }, "rpc");
      return res;
    } catch (error) {
      const e = ConnectError.from(error);
      const principal = req.contextValues.get(PRINCIPAL);
      if (principal) line.principal = principal.subject;
      const level = e.code === Code.Internal || e.code === Code.Unknown ? "error" : "info";
      // The cause is the server's own detail (e.g. why the handle store failed), kept from the caller.
      const cause = e.cause instanceof Error && !(e.cause instanceof ConnectError) ? { cause: e.cause.message } : {};
      logger[level]({ ...line, code: codeToString(e.code), ms: elapsed(start), error: e.rawMessage, ...cause }, "rpc");
      throw e;
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
