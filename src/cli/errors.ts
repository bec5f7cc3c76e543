import { ConnectError, isAbortError, isPresignClientError, isRpcError, isS3Error } from "@presignd/client/node";
import { Interrupted } from "./interrupt.js";

const SERVER_SETTING = "-s/--server (PRESIGND_SERVER)";

/** What the failed command talked to, so that errors can name it. */
export interface ErrorContext {
  /** The presignd URL from -s/--server, for client commands. */
  readonly server?: string;
}

/** One line for a failed command: what happened, in the user's terms, and what to do. */
export function describeError(error: unknown, context: ErrorContext = {}): string {
  if (error instanceof Interrupted) return error.message;
  if (isRpcError(error)) return describeRpcFailure(error.cause as ConnectError, context.server ?? "the server");
  // The generated service client (presign commands) throws ConnectError itself.
  if (error instanceof ConnectError) return describeRpcFailure(error, context.server ?? "the server");
  if (isS3Error(error)) return error.message;
  if (isAbortError(error)) return "interrupted";
  if (isPresignClientError(error)) return error.message;
  const e = error as NodeJS.ErrnoException;
  if (e?.code === "ECONNREFUSED")
    return `cannot connect to ${(e as { address?: string }).address ?? "the server"}:${(e as { port?: number }).port ?? ""} (is presignd running? see -s/--server)`;
  if (e?.code === "ENOENT" && e.path) return `no such file: ${e.path}`;
  return e?.message ?? String(error);
}

/**
 * An RPC that failed. Only an answer in presignd's own protocol is a refusal
 * by presignd; anything else says what was reached instead — S3's port, a
 * TLS mismatch, a server that hung up — and which setting to fix.
 */
function describeRpcFailure(error: ConnectError, server: string): string {
  const cause = error.cause as NodeJS.ErrnoException | undefined;
  const code = cause?.code ?? "";
  const raw = error.rawMessage;
  if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(error.message)) {
    return `cannot reach presignd: ${raw} (is it running? set -s/--server or PRESIGND_SERVER)`;
  }
  if (code === "EPROTO" || code.startsWith("ERR_SSL_") || /wrong version number/.test(raw)) {
    return `${server} does not speak TLS: use http:// instead of https:// in ${SERVER_SETTING}`;
  }
  if (/CERT|SELF_SIGNED/.test(code)) {
    return `${server}: its TLS certificate is not trusted (${raw}): trust its CA with NODE_EXTRA_CA_CERTS=<ca.pem>`;
  }
  if (code === "ECONNRESET" || code === "EPIPE") {
    return `${server} closed the connection without answering (${raw}): if it serves TLS, use https:// in ${SERVER_SETTING}`;
  }
  const notPresignd = `point ${SERVER_SETTING} at presignd, not at S3`;
  if (code === "ERR_HTTP2_ERROR")
    return `${server} does not speak gRPC (HTTP/2), so it is not presignd: ${notPresignd}`;
  // connect-es says "HTTP <status>" when the answer was not in the RPC protocol at all.
  if (/^HTTP \d{3}$/.test(raw)) return `${server} answered ${raw}, not as presignd does: ${notPresignd}`;
  return `presignd refused: ${error.message}`;
}
