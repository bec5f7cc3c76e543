import type { SizedSource } from "../body/source.js";
import { type ClientContext, rpc, seconds } from "../client-context.js";
import { InvalidOptionError } from "../errors.js";
import { isRetryable, withRetries } from "../http/retry.js";
import { exchange, expectSuccess } from "../http/send.js";
import type { FormParams, TransferResult } from "../options.js";
import type { ProgressMeter } from "./progress-meter.js";

/** The variable S3 replaces with the uploaded file's name in a form's key. */
export const FILENAME_VARIABLE = "${filename}";

/**
 * The key a POST form stores its file under: S3 and RGW replace a trailing
 * "${filename}" with the file's name themselves; some S3-compatible servers
 * (s3rver) do not, so the client fills it in. The policy's starts-with
 * condition holds either way.
 */
export function fillFilename(key: string, filename: string): string {
  return key.endsWith(FILENAME_VARIABLE) ? key.slice(0, -FILENAME_VARIABLE.length) + filename : key;
}

/** @private */
export interface FormSettings {
  readonly signal?: AbortSignal | undefined;
  readonly retries: number;
  readonly idleTimeout: number;
}

/**
 * Gets a POST policy and uploads the source as a multipart/form-data form
 * (the platform's FormData: policy fields first, the file last, as S3 wants).
 * @private
 */
export async function uploadForm(
  context: ClientContext,
  target: { key?: string; handle?: string; keyPrefix?: string },
  source: SizedSource,
  params: FormParams,
  settings: FormSettings,
  meter: ProgressMeter,
): Promise<TransferResult & { key?: string }> {
  // A policy that constrains the type is met by a Content-Type field: the
  // exact type (presignd puts it in the fields), or for a prefix this file's
  // type — params.contentType, else a File's own — which must match it.
  let typeField: string | undefined;
  const prefix = params.contentTypePrefix;
  if (prefix !== undefined) {
    typeField = params.contentType || source.type;
    if (!typeField) {
      throw new InvalidOptionError(
        "params.contentTypePrefix",
        `the policy needs the file's Content-Type, and ${source.filename} has none: set params.contentType (e.g. "${prefix}png")`,
      );
    }
    if (!typeField.startsWith(prefix)) {
      throw new InvalidOptionError(
        "params.contentTypePrefix",
        `the file's type "${typeField}" does not start with "${prefix}"`,
      );
    }
  }
  // Without a prefix, the type is exact: given, or a File's own (stored with the object, as upload() does).
  const exactType = prefix === undefined ? params.contentType || source.type || undefined : undefined;
  const policy = await rpc(settings.signal, (call) =>
    context.service.postPolicy(
      {
        ...target,
        ...(params.bucket ? { bucket: params.bucket } : {}),
        ...(params.minContentLength !== undefined ? { minContentLength: BigInt(params.minContentLength) } : {}),
        maxContentLength: BigInt(params.maxContentLength ?? Math.max(source.size, 1)),
        ...(prefix !== undefined ? { contentTypePrefix: prefix } : exactType ? { contentType: exactType } : {}),
        ...(params.successActionStatus ? { successActionStatus: params.successActionStatus } : {}),
        metadata: { ...params.metadata },
        ...(params.expiresIn !== undefined ? { expiresIn: seconds(params.expiresIn) } : {}),
      },
      call,
    ),
  );
  const fields: Record<string, string> = { ...policy.fields };
  if (fields.key !== undefined) fields.key = fillFilename(fields.key, source.filename);
  if (typeField !== undefined && !Object.keys(fields).some((name) => name.toLowerCase() === "content-type")) {
    fields["Content-Type"] = typeField;
  }
  const presigned = { url: policy.url, method: "POST", headers: {} };
  const answer = await withRetries(
    settings.retries,
    settings.signal,
    async () => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append("file", source.slice(0, source.size).blob(), source.filename);
      // The form's bytes include the fields around the file: progress counts up to the file's size.
      let sent = 0;
      const counted = () => Math.min(sent, source.size);
      try {
        const reply = await exchange(presigned, form, {
          signal: settings.signal,
          idleTimeout: settings.idleTimeout,
          onSent: (n) => {
            const before = counted();
            sent += n;
            meter.add(counted() - before);
          },
        });
        return expectSuccess(reply, presigned);
      } catch (error) {
        meter.add(-counted());
        throw error;
      }
    },
    isRetryable,
  );
  if (meter.transferred < source.size) meter.add(source.size - meter.transferred);
  const etag = answer.headers.get("etag");
  return {
    status: answer.status,
    bytes: source.size,
    ...(etag ? { etag } : {}),
    ...(fields.key ? { key: fields.key } : {}),
  };
}
