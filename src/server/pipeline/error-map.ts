import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { PresignError, type PresignErrorReason } from "../../core/presign-error.js";
import { onStreamEnd } from "./stream-end.js";

const CODES: Record<PresignErrorReason, Code> = {
  invalid_argument: Code.InvalidArgument,
  not_found: Code.NotFound,
  permission_denied: Code.PermissionDenied,
  failed_precondition: Code.FailedPrecondition,
  unavailable: Code.Unavailable,
};

/**
 * The one place where failures become Connect codes. Caller mistakes and
 * server state keep their precise code; anything else is our bug: INTERNAL,
 * logged with its stack, and described to the caller without details.
 */
export function toConnectError(error: unknown, logger: Logger): ConnectError {
  if (error instanceof PresignError)
    return new ConnectError(error.message, CODES[error.reason], undefined, undefined, error.cause);
  if (error instanceof ConnectError) return error;
  logger.error({ err: error }, "unexpected error");
  return new ConnectError("internal error (logged on the server)", Code.Internal);
}

/** Interceptor applying toConnectError to every handler failure, a server stream's included. */
export function errorMapping(logger: Logger): Interceptor {
  return (next) => async (req) => {
    try {
      const res = await next(req);
      if (!res.stream) return res;
      return {
        ...res,
        message: onStreamEnd(res.message, (outcome) =>
          outcome instanceof Error || (outcome !== undefined && outcome !== "abandoned")
            ? toConnectError(outcome, logger)
            : undefined,
        ),
      };
    } catch (error) {
      throw toConnectError(error, logger);
    }
  };
}
