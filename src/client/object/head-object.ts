import type { ClientContext } from "../client-context.js";
import { TransferError } from "../errors.js";
import type { HeadResult, ObjectRequestOptions, ObjectTarget } from "../options.js";
import { objectRequest } from "./object-request.js";

const META = "x-amz-meta-";

/** A presigned HEAD: the object's size, type, ETag, last-modified time and metadata. @private */
export async function headObject(
  context: ClientContext,
  target: ObjectTarget,
  options: ObjectRequestOptions = {},
): Promise<HeadResult> {
  const answer = await objectRequest(target, options, (fields, call) => context.service.headObject(fields, call));
  const h = answer.headers;
  const length = h.get("content-length");
  const size = length === null ? Number.NaN : Number(length);
  if (!Number.isSafeInteger(size) || size < 0) {
    throw new TransferError(`S3 answered the HEAD without a valid Content-Length (${length ?? "none"})`, false);
  }
  const metadata: Record<string, string> = {};
  h.forEach((value, name) => {
    if (name.startsWith(META)) metadata[name.slice(META.length)] = value;
  });
  const modified = h.get("last-modified");
  const lastModified = modified === null ? undefined : new Date(modified);
  return {
    size,
    ...optional("etag", h.get("etag")),
    ...optional("contentType", h.get("content-type")),
    ...(lastModified && !Number.isNaN(lastModified.getTime()) ? { lastModified } : {}),
    ...optional("versionId", h.get("x-amz-version-id")),
    metadata,
  };
}

function optional<K extends string>(name: K, value: string | null): { [P in K]?: string } {
  return (value === null ? {} : { [name]: value }) as { [P in K]?: string };
}
