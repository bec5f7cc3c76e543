import { DeleteObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { BucketEndpoint } from "../../core/bucket-endpoint.js";
import { DEFAULT_TTL_POLICY } from "../../core/expiry.js";
import { presignPost } from "../../core/presign-post.js";
import { createPresigner, type SigningCredentials } from "../../core/signer.js";
import type { StoreProfile } from "../../core/store-profile.js";
import type { CheckResult } from "./doctor-result.js";

/** The key the probe names; nothing is stored there unless the store ignores the policy's size limit. */
export const POST_PROBE_KEY = ".presignd-doctor/post-probe";
/** One byte more than the policy allows: a store that checks the policy refuses it, writing nothing. */
const PROBE_BODY = new Uint8Array(2);
const TIMEOUT_MS = 15_000;

/**
 * For stores whose profile says POST Object works: a POST form signed by
 * presignd's core signer whose file is larger than its content-length-range,
 * so that the expected answer (400 EntityTooLarge) proves the store parsed
 * the form, verified the policy's signature and enforces its conditions.
 */
export async function checkPostProbe(
  endpoint: BucketEndpoint,
  profile: StoreProfile,
  credentials: SigningCredentials,
  client: S3Client,
): Promise<CheckResult> {
  const base = { check: "post-probe" as const, bucket: endpoint.bucket };
  const ctx = { presigner: createPresigner(credentials), credentials, now: new Date(), ttl: DEFAULT_TTL_POLICY };
  const signed = await presignPost(
    endpoint,
    { key: POST_PROBE_KEY, maxContentLength: 1n, expiresIn: { seconds: 60n, nanos: 0 } },
    ctx,
  );
  const form = new FormData();
  for (const [name, value] of Object.entries(signed.fields)) form.append(name, value);
  form.append("file", new Blob([PROBE_BODY]), "probe");
  let status: number;
  let body: string;
  try {
    const response = await fetch(signed.url, { method: "POST", body: form, signal: AbortSignal.timeout(TIMEOUT_MS) });
    status = response.status;
    body = await response.text();
  } catch (error) {
    return {
      ...base,
      status: "warn",
      message: `the POST probe got no answer (${(error as Error).message})`,
      fix: "check --endpoint",
    };
  }
  const code = /<Code>([^<]+)<\/Code>/.exec(body)?.[1];
  const got = `HTTP ${status}${code ? ` ${code}` : ""}`;
  const noPost = `set --bucket-provider ${endpoint.bucket}=<provider> (or --provider) to a profile without POST, so that presignd refuses PostPolicy instead of signing forms that fail`;
  if (status === 400 && code === "EntityTooLarge") {
    return {
      ...base,
      status: "ok",
      message: `${profile.describe} verifies POST policies (a form over its size limit: ${got})`,
    };
  }
  if (status < 300) {
    await client.send(new DeleteObjectCommand({ Bucket: endpoint.bucket, Key: POST_PROBE_KEY })).catch(() => {});
    return {
      ...base,
      status: "fail",
      message: `the store stored a POST form larger than its policy's content-length-range (${got}): POST policies do not bound uploads here`,
      fix: noPost,
    };
  }
  if (status === 405 || status === 501 || code === "NotImplemented") {
    return { ...base, status: "fail", message: `the store does not implement POST Object (${got})`, fix: noPost };
  }
  return {
    ...base,
    status: "fail",
    message: `the store refused a POST form presignd signed (${got})`,
    fix: code === "SignatureDoesNotMatch" ? "check the clock, --region and --endpoint" : noPost,
  };
}
