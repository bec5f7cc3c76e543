import { Code, ConnectError } from "@connectrpc/connect";

// Cross-realm guards: an error from another copy of this package (two
// versions in one app, an iframe, a worker) fails `instanceof`; the brand
// and the name still tell what it is.
const BRAND = Symbol.for("@presignd/client/error");

function branded(error: unknown, name: string): boolean {
  return (
    typeof error === "object" &&
    error !== null &&
    (error as Record<symbol, unknown>)[BRAND] === true &&
    (name === "" || (error as { name?: unknown }).name === name)
  );
}

/** The base of every error this package throws. */
export class PresignClientError extends Error {
  override name = "PresignClientError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** S3 refused a presigned request: the status and fields of its XML error document. */
export class S3Error extends PresignClientError {
  override name = "S3Error";
  constructor(
    /** HTTP status, e.g. 403. */
    readonly status: number,
    /** S3's error code, e.g. "SignatureDoesNotMatch", "AccessDenied", "NoSuchKey"; "HTTP<status>" without a document. */
    readonly code: string,
    /** S3's message (or the status text when it sent none). */
    readonly s3Message: string,
    /** S3's request id, for its operators. */
    readonly requestId?: string,
    /** The request's URL with signature, credential and token removed. */
    readonly url?: string,
  ) {
    super(`S3 ${status} ${code}: ${s3Message}${requestId ? ` (request id ${requestId})` : ""}`);
  }
}

/** presignd refused or failed an RPC: its Connect code and message; `cause` is the ConnectError. */
export class RpcError extends PresignClientError {
  override name = "RpcError";
  /** The Connect code, e.g. Code.PermissionDenied. */
  readonly code: Code;
  /** presignd's message without the "[code]" prefix. */
  readonly rawMessage: string;
  constructor(cause: ConnectError) {
    super(cause.message, { cause });
    this.code = cause.code;
    this.rawMessage = cause.rawMessage;
  }
}

/** The caller's AbortSignal stopped the transfer; `cause` is the signal's reason. */
export class TransferAbortedError extends PresignClientError {
  override name = "TransferAbortedError";
  constructor(cause?: unknown) {
    super("the transfer was aborted", { cause });
  }
}

/** No bytes moved for the idle timeout, on every attempt. */
export class TransferTimeoutError extends PresignClientError {
  override name = "TransferTimeoutError";
  constructor(
    /** The idle timeout that passed, in milliseconds. */
    readonly idleTimeoutMs: number,
  ) {
    super(`no bytes moved for ${idleTimeoutMs / 1000} s (the idle timeout): the connection or the storage stalled`);
  }
}

/** A transfer failed outside S3's answers: the network, or an answer that breaks the protocol. */
export class TransferError extends PresignClientError {
  override name = "TransferError";
  constructor(
    message: string,
    /** Whether another attempt may succeed (a lost connection: yes; a changed object: no). */
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The call's arguments cannot work: which option, and why. Nothing was sent. */
export class InvalidOptionError extends PresignClientError {
  override name = "InvalidOptionError";
  constructor(
    /** The option at fault, e.g. "params.checksumSha256". */
    readonly option: string,
    reason: string,
  ) {
    super(`${option}: ${reason}`);
  }
}

export const isPresignClientError = (error: unknown): error is PresignClientError => branded(error, "");
export const isS3Error = (error: unknown): error is S3Error => branded(error, "S3Error");
export const isRpcError = (error: unknown): error is RpcError => branded(error, "RpcError");
export const isAbortError = (error: unknown): error is TransferAbortedError => branded(error, "TransferAbortedError");
export const isTimeoutError = (error: unknown): error is TransferTimeoutError => branded(error, "TransferTimeoutError");
export const isTransferError = (error: unknown): error is TransferError => branded(error, "TransferError");
export const isInvalidOptionError = (error: unknown): error is InvalidOptionError =>
  branded(error, "InvalidOptionError");

/**
 * What a failed RPC becomes: a ConnectError is wrapped, the caller's abort
 * becomes TransferAbortedError, our own errors pass through.
 * @private
 */
export function fromRpcFailure(error: unknown, signal?: AbortSignal): unknown {
  if (isPresignClientError(error)) return error;
  if (signal?.aborted) return new TransferAbortedError(signal.reason);
  const connect = ConnectError.from(error);
  if (connect.code === Code.Canceled && signal?.aborted) return new TransferAbortedError(signal.reason);
  return new RpcError(connect);
}
