import { rpc, seconds } from "../client-context.js";
import { InvalidOptionError } from "../errors.js";
import type { PresignedHttp } from "../http/presigned.js";
import { withRetries } from "../http/retry.js";
import { exchange, expectSuccess, type TextAnswer } from "../http/send.js";
import { DEFAULTS, type ObjectRequestOptions, type ObjectTarget } from "../options.js";
import { checkObjectRequestOptions, targetFields } from "../options-check.js";

/** The RPC fields every one-object request (HEAD, DELETE) sends. */
export type ObjectRequestFields = {
  key?: string;
  handle?: string;
  bucket?: string;
  versionId?: string;
  expiresIn?: { seconds: bigint };
};

/**
 * Presigns one request for an object, sends it without a body and returns
 * S3's answer; a refusal is thrown as S3Error. Network errors, idle timeouts
 * and S3's 5xx/429 are tried again (HEAD and DELETE are idempotent at S3).
 * @private
 */
export async function objectRequest(
  target: ObjectTarget,
  options: ObjectRequestOptions,
  presign: (fields: ObjectRequestFields, call: { signal?: AbortSignal }) => Promise<PresignedHttp>,
): Promise<TextAnswer> {
  checkObjectRequestOptions(options);
  const { key, handle, keyPrefix } = targetFields(target);
  if (keyPrefix !== undefined)
    throw new InvalidOptionError("key", "expected an object key or { handle }, not { keyPrefix }");
  const params = options.params ?? {};
  const fields: ObjectRequestFields = {
    ...(key === undefined ? {} : { key }),
    ...(handle === undefined ? {} : { handle }),
    ...(params.bucket ? { bucket: params.bucket } : {}),
    ...(params.versionId ? { versionId: params.versionId } : {}),
    ...(params.expiresIn === undefined ? {} : { expiresIn: seconds(params.expiresIn) }),
  } as ObjectRequestFields;
  const presigned = await rpc(options.signal, (call) => presign(fields, call));
  const settings = { signal: options.signal, idleTimeout: options.idleTimeout ?? DEFAULTS.idleTimeout };
  return withRetries(options.retries ?? DEFAULTS.retries, options.signal, async () =>
    expectSuccess(await exchange(presigned, undefined, settings), presigned),
  );
}
