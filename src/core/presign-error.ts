/**
 * Why a presign was refused. The server maps each reason to exactly one
 * Connect code (src/server/error-map.ts); core code never imports connect.
 */
export type PresignErrorReason =
  | "invalid_argument"
  | "not_found"
  | "permission_denied"
  | "failed_precondition"
  | "unavailable";

/** A refusal caused by the caller's input or the server's state, never a bug. */
export class PresignError extends Error {
  override readonly name = "PresignError";

  constructor(
    readonly reason: PresignErrorReason,
    message: string,
    /** The request field at fault, in proto (snake_case) spelling. */
    readonly field?: string,
    /** `cause`: what went wrong inside, for the server's log only; never told to the caller. */
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Shorthand for the most common refusal: a field with a bad value. */
export function invalidField(field: string, problem: string): PresignError {
  return new PresignError("invalid_argument", `${field}: ${problem}`, field);
}
