import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest, buildQueryString } from "@smithy/core/protocols";
import { S3RequestPresigner } from "@aws-sdk/s3-request-presigner";
import type { BucketEndpoint } from "./bucket-endpoint.js";
import { type Expiry, type RequestedTtl, type TtlPolicy, resolveExpiry } from "./expiry.js";

/** Credentials as the AWS SDK's providers resolve them. */
export interface SigningCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
}

/** Everything a presign needs besides the request: injected, never looked up. */
export interface SigningContext {
  readonly presigner: S3RequestPresigner;
  readonly credentials: SigningCredentials;
  readonly now: Date;
  readonly ttl: TtlPolicy;
}

/** An HTTP request to send to S3 as is. */
export interface PresignedHttpRequest {
  readonly url: string;
  readonly method: "GET" | "PUT";
  /** The headers the caller must send: every signed header but host. */
  readonly headers: Record<string, string>;
  readonly expiresAt: Date;
}

/**
 * The SDK's own S3 presigner, built once. Credentials and region come with
 * every call (presignWithCredentials, signingRegion), so the instance holds
 * no secrets and is never asked for them.
 */
export function createPresigner(): S3RequestPresigner {
  const injected = () => Promise.reject(new Error("presignd injects credentials and region per call"));
  return new S3RequestPresigner({ credentials: injected, region: injected, sha256: Sha256 });
}

export interface SignOptions {
  readonly method: "GET" | "PUT";
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
  const signed = await ctx.presigner.presignWithCredentials(request, ctx.credentials, {
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

// The SDK's S3 Express wrapper leaves an undefined session-token slot in the
// query; it is not signed, so it must not appear in the URL either.
function definedOnly(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) if (typeof value === "string") out[name] = value;
  return out;
}
