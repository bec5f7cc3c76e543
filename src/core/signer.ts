import { buildQueryString, extendedEncodeURIComponent, HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import type { BucketEndpoint } from "./bucket-endpoint.js";
import { type Expiry, type RequestedTtl, resolveExpiry, type TtlPolicy } from "./expiry.js";
import { signerSha256 } from "./signer-hash.js";

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
  readonly presigner: Presigner;
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
 * The SDK's SigV4 signer for one set of credentials, configured as the SDK's
 * S3RequestPresigner configures it for S3 (service "s3", the path signed as
 * the serializer encoded it): build it once per credential rotation, not per
 * request. The region comes with every call. Calling it directly skips
 * S3RequestPresigner's per-call header scan and option objects; signRequest
 * does the one thing that wrapper did that matters here (UNSIGNED-PAYLOAD).
 * A session token goes into X-Amz-Security-Token (not presignWithCredentials:
 * that is for S3 Express and uses X-Amz-S3session-Token).
 */
export class Presigner extends SignatureV4 {
  private dates: { second: number; formatted: { longDate: string; shortDate: string } } | undefined;

  constructor(credentials: SigningCredentials) {
    const region = () => Promise.reject(new Error("presignd passes signingRegion with every call"));
    super({ credentials, region, service: "s3", sha256: signerSha256(credentials), uriEscapePath: false });
  }

  // Signed dates have whole-second precision: format each second once.
  protected override formatDate(now: Date | number | string): { longDate: string; shortDate: string } {
    if (!(now instanceof Date)) return super.formatDate(now);
    const second = Math.floor(now.getTime() / 1000);
    if (this.dates?.second !== second) this.dates = { second, formatted: super.formatDate(now) };
    return this.dates.formatted;
  }
}

/** The signer for these credentials; see Presigner. */
export function createPresigner(credentials: SigningCredentials): Presigner {
  return new Presigner(credentials);
}

export interface SignOptions {
  readonly method: "GET" | "PUT" | "HEAD" | "POST" | "DELETE";
  readonly path: string;
  readonly query: Record<string, string>;
  /** Lower-case header names. All of them are signed and returned. */
  readonly headers: Record<string, string>;
  readonly expiresIn: RequestedTtl | undefined;
  /** Sign as of the start of a window this long, in seconds (cache-window.ts); unset: as of now. */
  readonly cacheWindowSeconds?: number;
}

// S3 presigned URLs do not sign the body; the signer reads this header for the
// payload hash and, like every unlisted x-amz-* header, moves it to the query.
/** The payload hash every presigned request is signed with (hoisted into the query). */
export const PAYLOAD_HASH_HEADER = "X-Amz-Content-Sha256";
export const UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD";
const NO_HEADERS: ReadonlySet<string> = new Set();

/** Signs one prebuilt request with the SDK's SigV4 signer. */
export async function signRequest(
  endpoint: BucketEndpoint,
  options: SignOptions,
  ctx: SigningContext,
): Promise<PresignedHttpRequest> {
  const expiry: Expiry = resolveExpiry(
    options.expiresIn,
    ctx.ttl,
    ctx.now,
    ctx.credentials.expiration,
    "expires_in",
    options.cacheWindowSeconds,
  );
  const host = endpoint.port === undefined ? endpoint.hostname : `${endpoint.hostname}:${endpoint.port}`;
  const headerNames = Object.keys(options.headers);
  // Sign every header we were given (content-type, say, would otherwise go
  // unsigned) and keep x-amz-* ones as headers rather than query parameters,
  // so that what the caller must send is exactly `headers`.
  const signable = headerNames.length === 0 ? NO_HEADERS : new Set(headerNames);
  const unhoistable = headerNames.length === 0 ? NO_HEADERS : new Set(headerNames.filter(isAmzHeader));
  const signed = await ctx.presigner.presign(
    // The signer clones the request before it adds anything: no copies here.
    new HttpRequest({
      method: options.method,
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port === undefined ? {} : { port: endpoint.port }),
      path: options.path,
      query: options.query,
      headers: { ...options.headers, host, [PAYLOAD_HASH_HEADER]: UNSIGNED_PAYLOAD },
    }),
    {
      signingDate: expiry.signedAt,
      signingRegion: endpoint.region,
      expiresIn: expiry.expiresInSeconds,
      signableHeaders: signable as Set<string>,
      unhoistableHeaders: unhoistable as Set<string>,
    },
  );
  return {
    url: `${endpoint.protocol}//${host}${signed.path}?${queryString(signed.query ?? {})}`,
    method: options.method,
    headers: { ...options.headers },
    expiresAt: expiry.expiresAt,
  };
}

function isAmzHeader(name: string): boolean {
  return name.startsWith("x-amz-");
}

/**
 * The query of a signed URL, byte for byte as the SDK's buildQueryString
 * writes it (sorted names, RFC 3986 escaping), but with the SDK's
 * extendedEncodeURIComponent, which returns the many plain names and values
 * (X-Amz-Algorithm, dates, hex signatures) without re-encoding them.
 */
function queryString(query: Record<string, string | string[] | null>): string {
  const parts: string[] = [];
  for (const name of Object.keys(query).sort()) {
    const value = query[name];
    if (typeof value !== "string") return buildQueryString(query);
    parts.push(`${extendedEncodeURIComponent(name)}=${extendedEncodeURIComponent(value)}`);
  }
  return parts.join("&");
}
