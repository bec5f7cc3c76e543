import { checkBase64Digest, checkContentType, metadataHeaders } from "./http-fields.js";
import { PresignError } from "./presign-error.js";

/**
 * What an uploaded object must be: what presignd signed for it (a PUT's
 * exact length, a POST's length range, a multipart upload's bound), or what
 * a caller expects of it. Every field is optional: unset is unchecked.
 */
export interface UploadExpectation {
  /** Inclusive size bounds in bytes (equal for an exact length). */
  readonly minLength?: bigint;
  readonly maxLength?: bigint;
  /** Exact Content-Type, or with `contentTypeIsPrefix` a prefix such as "image/". */
  readonly contentType?: string;
  readonly contentTypeIsPrefix?: boolean;
  /** Base64 MD5 of the body (compared with a single-part ETag). */
  readonly contentMd5?: string;
  /** Base64 SHA-256 of the body (compared with the checksum the store reports). */
  readonly checksumSha256?: string;
  /** Metadata the object must carry with exactly these values. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Metadata names the object must carry, whatever their values (a rule's required_metadata). */
  readonly metadataNames?: readonly string[];
}

/** An object as the store reports it (HeadObject). */
export interface ObjectFacts {
  readonly size: bigint;
  /** With its quotes. */
  readonly etag: string;
  readonly contentType: string;
  /** Names in lower case. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Base64; undefined when the store reports none. */
  readonly checksumSha256?: string;
}

/** A check that passed, or could not be made. */
export interface Verification {
  /** Property names checked and found as expected, e.g. "content_length", "metadata.owner". */
  readonly verified: string[];
  /** Properties expected that the store does not report. */
  readonly unverified: string[];
}

/**
 * Checks an object against each expectation, in order; the first mismatch
 * is refused with FAILED_PRECONDITION naming the property, `source` ("signed",
 * "expected", or a rule) and both values. `into` accumulates across calls.
 */
export function verifyObject(
  object: ObjectFacts,
  expectation: UploadExpectation,
  source: string,
  into: Verification = { verified: [], unverified: [] },
): Verification {
  const pass = (name: string) => {
    if (!into.verified.includes(name)) into.verified.push(name);
  };
  const fail = (name: string, problem: string): never => {
    throw new PresignError("failed_precondition", `${name}: ${problem} (${source})`, name);
  };
  const { minLength, maxLength } = expectation;
  if (minLength !== undefined || maxLength !== undefined) {
    if (minLength !== undefined && minLength === maxLength && object.size !== minLength) {
      fail("content_length", `the object has ${object.size} bytes, not ${minLength}`);
    }
    if (minLength !== undefined && object.size < minLength) {
      fail("content_length", `the object has ${object.size} bytes, fewer than ${minLength}`);
    }
    if (maxLength !== undefined && object.size > maxLength) {
      fail("content_length", `the object has ${object.size} bytes, more than ${maxLength}`);
    }
    pass("content_length");
  }
  if (expectation.contentType !== undefined) {
    const want = expectation.contentType;
    const ok = expectation.contentTypeIsPrefix ? object.contentType.startsWith(want) : object.contentType === want;
    if (!ok) {
      const what = expectation.contentTypeIsPrefix ? `a type starting with "${want}"` : `"${want}"`;
      fail("content_type", `the object's type is "${object.contentType}", not ${what}`);
    }
    pass("content_type");
  }
  if (expectation.contentMd5 !== undefined) {
    // A single-part upload's ETag is the hex MD5 of its body; a multipart one's ends in "-<parts>".
    const etag = object.etag.replace(/^"|"$/g, "");
    if (/^[0-9a-f]{32}$/i.test(etag)) {
      const md5 = Buffer.from(expectation.contentMd5, "base64").toString("hex");
      if (etag.toLowerCase() !== md5) fail("content_md5", "the object's ETag is not the MD5 of the body signed");
      pass("content_md5");
    } else if (!into.unverified.includes("content_md5")) {
      into.unverified.push("content_md5");
    }
  }
  if (expectation.checksumSha256 !== undefined) {
    if (object.checksumSha256 === undefined) {
      if (!into.unverified.includes("checksum_sha256")) into.unverified.push("checksum_sha256");
    } else {
      if (object.checksumSha256 !== expectation.checksumSha256) {
        fail("checksum_sha256", "the store reports another SHA-256 checksum");
      }
      pass("checksum_sha256");
    }
  }
  for (const [name, value] of Object.entries(expectation.metadata ?? {})) {
    const stored = object.metadata[name];
    if (stored === undefined) fail(`metadata.${name}`, "the object has no such metadata");
    if (stored !== value) fail(`metadata.${name}`, "the object's value differs");
    pass(`metadata.${name}`);
  }
  for (const name of expectation.metadataNames ?? []) {
    if (object.metadata[name] === undefined) fail(`metadata.${name}`, "the object has no such metadata");
    pass(`metadata.${name}`);
  }
  return into;
}

/**
 * A caller's expectations as given in a request (proto field names under
 * `field`), checked as the signing RPCs check the same values.
 */
export function callerExpectation(
  input: {
    readonly contentLength?: bigint | undefined;
    readonly contentType: string;
    readonly contentMd5: string;
    readonly checksumSha256: string;
    readonly metadata: Readonly<Record<string, string>>;
  },
  field: string,
): UploadExpectation {
  if (input.contentType) checkContentType(input.contentType, `${field}.content_type`);
  if (input.contentMd5) checkBase64Digest(input.contentMd5, 16, `${field}.content_md5`);
  if (input.checksumSha256) checkBase64Digest(input.checksumSha256, 32, `${field}.checksum_sha256`);
  metadataHeaders(input.metadata, `${field}.metadata`);
  return {
    ...(input.contentLength === undefined ? {} : { minLength: input.contentLength, maxLength: input.contentLength }),
    ...(input.contentType ? { contentType: input.contentType } : {}),
    ...(input.contentMd5 ? { contentMd5: input.contentMd5 } : {}),
    ...(input.checksumSha256 ? { checksumSha256: input.checksumSha256 } : {}),
    ...(Object.keys(input.metadata).length > 0 ? { metadata: input.metadata } : {}),
  };
}

/**
 * How much later than an object's Last-Modified an upload may have been
 * signed and still be the one that wrote it: presignd's clock and the
 * store's may differ by as much as SigV4 tolerates (15 min).
 */
export const SIGNING_CLOCK_SKEW_MS = 15 * 60_000;

/** Could an upload signed at `signedAt` have written an object last modified at `lastModified`? */
export function mayHaveWritten(signedAt: Date, lastModified: Date | undefined): boolean {
  return lastModified === undefined || signedAt.getTime() <= lastModified.getTime() + SIGNING_CLOCK_SKEW_MS;
}
