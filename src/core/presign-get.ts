import { type BucketEndpoint, objectPath } from "./bucket-endpoint.js";
import { cacheWindowOption } from "./cache-window.js";
import { downloadDisposition } from "./download-filename.js";
import type { RequestedTtl } from "./expiry.js";
import { checkHeaderValue } from "./http-fields.js";
import { checkObjectKey } from "./object-key.js";
import { invalidField } from "./presign-error.js";
import { type PresignedHttpRequest, type SigningContext, signRequest } from "./signer.js";
import { checkVersionId } from "./version-id.js";

/** Response header overrides, by the S3 query parameter that carries each. */
export interface ResponseOverrides {
  readonly contentType?: string;
  readonly contentDisposition?: string;
  readonly cacheControl?: string;
  readonly contentEncoding?: string;
  readonly contentLanguage?: string;
  readonly expires?: string;
  /** A file name in any script: the Content-Disposition is made from it (not with contentDisposition). */
  readonly downloadFilename?: string;
}

export interface GetObjectInput {
  readonly key: string;
  readonly versionId?: string;
  readonly overrides?: ResponseOverrides;
  readonly range?: string;
  readonly expiresIn?: RequestedTtl;
  /** Sign as of the start of a cache window this long, in seconds (resolveCacheWindow gives it). */
  readonly cacheWindowSeconds?: number;
}

const OVERRIDES: [Exclude<keyof ResponseOverrides, "downloadFilename">, query: string, field: string][] = [
  ["cacheControl", "response-cache-control", "overrides.cache_control"],
  ["contentDisposition", "response-content-disposition", "overrides.content_disposition"],
  ["contentEncoding", "response-content-encoding", "overrides.content_encoding"],
  ["contentLanguage", "response-content-language", "overrides.content_language"],
  ["contentType", "response-content-type", "overrides.content_type"],
  ["expires", "response-expires", "overrides.expires"],
];

// One range only: S3 ignores multi-range requests.
const RANGE = /^bytes=(?:(\d{1,19})-(\d{1,19})?|-(\d{1,19}))$/;

/** Presigns a GET of one object (S3 GetObject). */
export async function presignGet(
  endpoint: BucketEndpoint,
  input: GetObjectInput,
  ctx: SigningContext,
): Promise<PresignedHttpRequest> {
  const key = checkObjectKey(input.key);
  const query: Record<string, string> = { "x-id": "GetObject" };
  if (input.versionId) query.versionId = checkVersionId(input.versionId);
  for (const [name, param, field] of OVERRIDES) {
    const value = input.overrides?.[name];
    if (value) query[param] = checkHeaderValue(value, field);
  }
  const filename = input.overrides?.downloadFilename;
  // With content_disposition too: refused by the proto's oneof rule before any handler runs.
  if (filename) query["response-content-disposition"] = downloadDisposition(filename);
  const headers: Record<string, string> = {};
  if (input.range) headers.range = checkRange(input.range);
  return signRequest(
    endpoint,
    {
      method: "GET",
      path: objectPath(endpoint, key),
      query,
      headers,
      expiresIn: input.expiresIn,
      ...cacheWindowOption(input),
    },
    ctx,
  );
}

function checkRange(range: string): string {
  const match = RANGE.exec(range);
  if (!match) {
    throw invalidField("range", 'must be one byte range like "bytes=0-1023", "bytes=100-" or "bytes=-500"');
  }
  const [, first, last] = match;
  if (first !== undefined && last !== undefined && BigInt(last) < BigInt(first)) {
    throw invalidField("range", "last byte position is before the first");
  }
  return range;
}
