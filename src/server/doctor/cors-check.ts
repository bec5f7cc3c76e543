import { type CORSRule, GetBucketCorsCommand, PutBucketCorsCommand, type S3Client } from "@aws-sdk/client-s3";
import { sdkErrorLabel } from "../s3/sdk-error-label.js";
import { type CorsFix, corsFix, corsXml, evaluateCors } from "./cors-rules.js";
import type { CheckResult } from "./doctor-result.js";

const FIX = "presignd doctor --fix-cors (with serve's settings), or see README, Browsers (CORS)";

/** The bucket's CORS rules; none when it has no CORS configuration. */
export async function bucketCorsRules(client: S3Client, bucket: string): Promise<CORSRule[]> {
  try {
    return (await client.send(new GetBucketCorsCommand({ Bucket: bucket }))).CORSRules ?? [];
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchCORSConfiguration") return [];
    throw error;
  }
}

/** The bucket's CORS against every --cors-origin: one result for the bucket. */
export async function checkCors(client: S3Client, bucket: string, origins: readonly string[]): Promise<CheckResult> {
  let rules: CORSRule[];
  try {
    rules = await bucketCorsRules(client, bucket);
  } catch (error) {
    return {
      check: "cors",
      bucket,
      status: "fail",
      message: `GetBucketCors failed: ${sdkErrorLabel(error).label}`,
      fix: "grant the credentials s3:GetBucketCORS on the bucket, or check the CORS configuration by hand",
    };
  }
  if (rules.length === 0) {
    return {
      check: "cors",
      bucket,
      status: "fail",
      message: `no CORS configuration: browsers at ${origins.join(", ")} cannot use presigned URLs`,
      fix: FIX,
    };
  }
  const found = origins.map((origin) => evaluateCors(rules, origin));
  const problems = found.filter((f) => f.problems.length > 0);
  const warnings = found.filter((f) => f.warnings.length > 0);
  if (problems.length > 0) {
    return {
      check: "cors",
      bucket,
      status: "fail",
      message: problems.map((f) => `${f.origin}: ${f.problems.join("; ")}`).join("; "),
      fix: FIX,
    };
  }
  if (warnings.length > 0) {
    return {
      check: "cors",
      bucket,
      status: "warn",
      message: warnings.map((f) => `${f.origin}: ${f.warnings.join("; ")}`).join("; "),
      fix: FIX,
    };
  }
  return {
    check: "cors",
    bucket,
    status: "ok",
    message: `${origins.join(", ")}: PUT, POST, GET, HEAD, DELETE allowed with the signed headers; ETag exposed`,
  };
}

/** What --fix-cors would write to one bucket. */
export interface PlannedCorsFix extends CorsFix {
  readonly bucket: string;
  /** The CORSConfiguration document, as shown before asking. */
  readonly xml: string;
}

export async function planCorsFix(
  client: S3Client,
  bucket: string,
  origins: readonly string[],
): Promise<PlannedCorsFix> {
  const fix = corsFix(await bucketCorsRules(client, bucket), origins);
  return { ...fix, bucket, xml: corsXml(fix.rules) };
}

export async function applyCorsFix(client: S3Client, fix: PlannedCorsFix): Promise<void> {
  await client.send(new PutBucketCorsCommand({ Bucket: fix.bucket, CORSConfiguration: { CORSRules: [...fix.rules] } }));
}
