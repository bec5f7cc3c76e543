import { ConnectError } from "@connectrpc/connect";
import { PresignError } from "../../core/presign-error.js";
import { sdkErrorLabel } from "./sdk-error-label.js";

/**
 * S3 refusing a request the server made itself (`call`, e.g.
 * "CreateMultipartUpload"): FAILED_PRECONDITION for a refusal that retrying
 * cannot fix, UNAVAILABLE when S3 did not answer or answered 5xx/429. The
 * caller's deadline or cancel keeps its own code.
 */
export function s3Failure(call: string, error: unknown): Error {
  if (error instanceof ConnectError) return error;
  const cause = { cause: error instanceof Error ? error : new Error(String(error)) };
  const { label, status } = sdkErrorLabel(error);
  // No HTTP status: S3 was not reached (or did not answer); say only that.
  if (status === undefined)
    return new PresignError("unavailable", `S3 did not answer ${call}; retry later`, undefined, cause);
  const what = `S3 refused ${call}: ${label}`;
  if (status < 500 && status !== 429) return new PresignError("failed_precondition", what, undefined, cause);
  return new PresignError("unavailable", `${what}; retry later`, undefined, cause);
}
