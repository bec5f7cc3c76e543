import { Sha256 } from "@smithy/core/checksum";
import { toHex } from "@smithy/core/serde";
import { createScope, getSigningKey } from "@smithy/signature-v4";
import { type BucketEndpoint, bucketUrl } from "./bucket-endpoint.js";
import { type RequestedTtl, resolveExpiry } from "./expiry.js";
import { checkContentType, metadataHeaders } from "./http-fields.js";
import { checkObjectKey } from "./object-key.js";
import { invalidField } from "./presign-error.js";
import type { SigningContext } from "./signer.js";

export interface PostPolicyInput {
  /** Exact key, or a key ending in "${filename}". Exclusive with keyPrefix. */
  readonly key?: string;
  readonly keyPrefix?: string;
  readonly minContentLength?: bigint;
  readonly maxContentLength: bigint;
  readonly contentType?: string;
  readonly contentTypePrefix?: string;
  readonly successActionStatus?: number;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly expiresIn?: RequestedTtl;
}

export interface SignedPostPolicy {
  /** The form's action. */
  readonly url: string;
  /** Form fields to send before the file field. */
  readonly fields: Record<string, string>;
  /** The decoded policy document, for tests and audit. */
  readonly policy: PostPolicyDocument;
  readonly expiresAt: Date;
}

export type PolicyCondition =
  | Record<string, string>
  | [string, string, string]
  | ["content-length-range", number, number];

export interface PostPolicyDocument {
  readonly expiration: string;
  readonly conditions: PolicyCondition[];
}

/** The variable S3 replaces with the uploaded file's name in a POST key. */
export const FILENAME = "${filename}";

/**
 * Signs an S3 POST policy (browser-based upload). Every field we hand out is
 * pinned by a condition, and only the key (within its prefix) and, with a
 * content type prefix, Content-Type are left to the uploader.
 */
export async function presignPost(
  endpoint: BucketEndpoint,
  input: PostPolicyInput,
  ctx: SigningContext,
): Promise<SignedPostPolicy> {
  const fields: Record<string, string> = {};
  const conditions: PolicyCondition[] = [{ bucket: endpoint.bucket }];

  // At most one of key and key_prefix, and the size and status bounds: the proto's (buf.validate).
  if (input.key) {
    const key = checkObjectKey(input.key);
    fields.key = key;
    if (key.endsWith(FILENAME)) {
      conditions.push(["starts-with", "$key", key.slice(0, -FILENAME.length)]);
    } else {
      conditions.push({ key });
    }
  } else if (input.keyPrefix) {
    const prefix = checkObjectKey(input.keyPrefix, "key_prefix");
    fields.key = `${prefix}${FILENAME}`;
    conditions.push(["starts-with", "$key", prefix]);
  } else {
    throw invalidField("key", "is required (or key_prefix)");
  }

  const min = input.minContentLength ?? 0n;
  const max = input.maxContentLength;
  if (max === 0n) throw invalidField("max_content_length", "is required (the largest file size allowed, in bytes)");
  if (min > max) throw invalidField("min_content_length", `${min} is larger than max_content_length ${max}`);
  conditions.push(["content-length-range", Number(min), Number(max)]);

  if (input.contentType && input.contentTypePrefix) {
    throw invalidField("content_type", "set either content_type or content_type_prefix, not both");
  }
  if (input.contentType) {
    fields["Content-Type"] = checkContentType(input.contentType, "content_type");
    conditions.push({ "Content-Type": input.contentType });
  } else if (input.contentTypePrefix) {
    if (!/^[\u0021-\u007e]{1,256}$/.test(input.contentTypePrefix)) {
      throw invalidField("content_type_prefix", "must be 1 to 256 printable ASCII characters without spaces");
    }
    conditions.push(["starts-with", "$Content-Type", input.contentTypePrefix]);
  }

  if (input.successActionStatus) {
    fields.success_action_status = String(input.successActionStatus);
    conditions.push({ success_action_status: fields.success_action_status });
  }

  for (const [name, value] of metadataHeaders(input.metadata ?? {})) {
    fields[name] = value;
    conditions.push({ [name]: value });
  }

  const { credentials, now } = ctx;
  const expiry = resolveExpiry(input.expiresIn, ctx.ttl, now, credentials.expiration);
  const longDate = now
    .toISOString()
    .replace(/\.\d{3}Z$/, "Z")
    .replace(/[-:]/g, "");
  const shortDate = longDate.slice(0, 8);
  const auth: Record<string, string> = {
    "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    "X-Amz-Credential": `${credentials.accessKeyId}/${createScope(shortDate, endpoint.region, "s3")}`,
    "X-Amz-Date": longDate,
  };
  if (credentials.sessionToken) auth["X-Amz-Security-Token"] = credentials.sessionToken;
  for (const [name, value] of Object.entries(auth)) {
    fields[name] = value;
    conditions.push({ [name]: value });
  }

  const policy: PostPolicyDocument = {
    expiration: expiry.expiresAt.toISOString().replace(/\.\d{3}Z$/, "Z"),
    conditions,
  };
  const encoded = Buffer.from(JSON.stringify(policy), "utf8").toString("base64");
  const signingKey = await getSigningKey(Sha256, credentials, shortDate, endpoint.region, "s3");
  const hmac = new Sha256(signingKey);
  hmac.update(Buffer.from(encoded, "utf8"));
  fields.Policy = encoded;
  fields["X-Amz-Signature"] = toHex(await hmac.digest());
  return { url: bucketUrl(endpoint), fields, policy, expiresAt: expiry.expiresAt };
}
