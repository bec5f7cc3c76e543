import type { ClientContext } from "../client-context.js";
import type { ObjectRequestOptions, ObjectTarget } from "../options.js";
import { objectRequest } from "./object-request.js";

/**
 * A presigned DELETE. S3 answers 204 also for a key that does not exist
 * (deleting is idempotent there); a refusal is thrown as S3Error. @private
 */
export async function deleteObject(
  context: ClientContext,
  target: ObjectTarget,
  options: ObjectRequestOptions = {},
): Promise<void> {
  await objectRequest(target, options, (fields, call) => context.service.deleteObject(fields, call));
}
