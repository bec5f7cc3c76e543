import { extendedEncodeURIComponent } from "@smithy/core/protocols";

/**
 * Where one bucket's objects live, as clients reach them: resolved once at
 * start-up (endpoint rules, region), then used for every presign.
 */
export interface BucketEndpoint {
  readonly bucket: string;
  /** The SigV4 signing region, e.g. "us-east-1". */
  readonly region: string;
  readonly protocol: "http:" | "https:";
  readonly hostname: string;
  readonly port?: number;
  /** "" for virtual-hosted style, "/<bucket>" for path style. */
  readonly pathPrefix: string;
}

/**
 * The URL path of an object, each key segment percent-encoded as the SDK's
 * serializer does (RFC 3986 unreserved characters and "/" stay as they are).
 */
export function objectPath(endpoint: BucketEndpoint, key: string): string {
  return `${endpoint.pathPrefix}/${key.split("/").map(extendedEncodeURIComponent).join("/")}`;
}

/** The URL path of the bucket itself (ListObjectsV2), as the SDK's serializer writes it. */
export function bucketPath(endpoint: BucketEndpoint): string {
  return endpoint.pathPrefix || "/";
}

/** The bucket's base URL, e.g. the action of a POST form. */
export function bucketUrl(endpoint: BucketEndpoint): string {
  const port = endpoint.port === undefined ? "" : `:${endpoint.port}`;
  return `${endpoint.protocol}//${endpoint.hostname}${port}${bucketPath(endpoint)}`;
}
