import { S3RequestPresigner } from "@aws-sdk/s3-request-presigner";
import { Sha256 } from "@smithy/core/checksum";
import { buildQueryString, HttpRequest } from "@smithy/core/protocols";
import type { BucketEndpoint } from "./bucket-endpoint.js";
import { type Expiry, type RequestedTtl, resolveExpiry, type TtlPolicy } from "./expiry.js";

/** Credentials as the AWS SDK's providers resolve them. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Everything a presign needs besides the request: injected, never looked up. */
export interface SigningContext {
  /** Built by createPresigner(credentials) for these very credentials. */
  readonly presigner: S3RequestPresigner;
  readonly credentials: SigningCredentials;
  readonly now: Date;
  readonly ttl: TtlPolicy;
}

/** An HTTP request to send to S3 as is. */
export interface PresignedHttpRequest {
  readonly url: string;
  readonly method: "GET" | "PUT" | "HEAD" | "POST" | "DELETE";
  /** The headers the caller must send: every signed header but host. */
  readonly headers: Record<string, string>;
  readonly expiresAt: Date;
}

/**
 * The SDK's own S3 presigner for one set of credentials: build it once per
 * credential rotation, not per request. The region comes with every call.
 * (Not presignWithCredentials: that one is for S3 Express session
 * credentials and moves the session token into X-Amz-S3session-Token.)
 */
export function createPresigner(credentials: SigningCredentials): S3RequestPresigner {
  const region = () => Promise.reject(new Error("presignd passes signingRegion with every call"));
  return new S3RequestPresigner({ credentials, region, sha256: Sha256 });
}

export interface SignOptions {
  readonly method: "GET" | "PUT" | "HEAD" | "POST" | "DELETE";
  readonly path: string;
  readonly query: Record<string, string>;
  /** Lower-case header names. All of them are signed and returned. */
  readonly headers: Record<string, string>;
  readonly expiresIn: RequestedTtl | undefined;
}

/** Signs one prebuilt request with the SDK's SigV4 presigner. */
export async function signRequest(
  endpoint: BucketEndpoint,
  options: SignOptions,
  ctx: SigningContext,
): Promise<PresignedHttpRequest> {
  const expiry: Expiry = resolveExpiry(options.expiresIn, ctx.ttl, ctx.now, ctx.credentials.expiration);
  const headerNames = Object.keys(options.headers);
  const host = endpoint.port === undefined ? endpoint.hostname : `${endpoint.hostname}:${endpoint.port}`;
  const request = new HttpRequest({
    method: options.method,
    protocol: endpoint.protocol,
    hostname: endpoint.hostname,
    ...(endpoint.port === undefined ? {} : { port: endpoint.port }),
    path: options.path,
    query: { ...options.query },
    headers: { ...options.headers, host },
  });
  const signed = await ctx.presigner.presign(request, {
    signingDate: ctx.now,
    signingRegion: endpoint.region,
    expiresIn: expiry.expiresInSeconds,
    // Sign every header we were given (the presigner would leave content-type
    // unsigned) and keep x-amz-* ones as headers rather than query parameters,
    // so that what the caller must send is exactly `headers`.
    signableHeaders: new Set(headerNames),
    unhoistableHeaders: new Set(headerNames.filter((name) => name.startsWith("x-amz-"))),
  });
  return {
    url: formatUrl(endpoint, signed.path, definedOnly(signed.query ?? {})),
    method: options.method,
    headers: { ...options.headers },
    expiresAt: expiry.expiresAt,
  };
}

/** URL of a signed request, its query built by the SDK's own encoder. */
function formatUrl(endpoint: BucketEndpoint, path: string, query: Record<string, string>): string {
  const port = endpoint.port === undefined ? "" : `:${endpoint.port}`;
  return `${endpoint.protocol}//${endpoint.hostname}${port}${path}?${buildQueryString(query)}`;
}

// Drop query slots the SDK may leave undefined: they are not signed.
function definedOnly(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) if (typeof value === "string") out[name] = value;
  return out;
}
