import { GetBucketLifecycleConfigurationCommand, type LifecycleRule, type S3Client } from "@aws-sdk/client-s3";
import { sdkErrorLabel } from "../s3/sdk-error-label.js";
import type { CheckResult } from "./doctor-result.js";

/** An enabled lifecycle rule aborting incomplete multipart uploads, and the prefix it is limited to ("" = all). */
export interface AbortRule {
  readonly id?: string;
  readonly days: number;
  readonly prefix: string;
}

/**
 * The rules that abort incomplete multipart uploads: enabled, with
 * AbortIncompleteMultipartUpload, and a prefix filter (or none). Rules
 * filtered by tag or size cannot apply to uploads in progress and are left out.
 */
export function abortRules(rules: readonly LifecycleRule[]): AbortRule[] {
  const found: AbortRule[] = [];
  for (const rule of rules) {
    const days = rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation;
    if (rule.Status !== "Enabled" || days === undefined) continue;
    const filter = rule.Filter;
    if (filter?.Tag || filter?.And?.Tags?.length || filter?.ObjectSizeGreaterThan || filter?.ObjectSizeLessThan) {
      continue;
    }
    const prefix = filter?.Prefix ?? filter?.And?.Prefix ?? rule.Prefix ?? "";
    found.push({ ...(rule.ID ? { id: rule.ID } : {}), days, prefix });
  }
  return found;
}

/** The multipart reaper as configured: on with a handle store and --reap-interval > 0. */
export interface ReaperSetting {
  readonly enabled: boolean;
  readonly intervalMs: number;
}

const LIFECYCLE_FIX =
  "add a lifecycle rule with AbortIncompleteMultipartUpload (DaysAfterInitiation 1), or run serve with --handle-store and --reap-interval";

/** Abandoned multipart uploads keep their parts (and cost) until aborted: a lifecycle rule, or presignd's reaper. */
export function classifyMultipartCleanup(
  bucket: string,
  rules: readonly AbortRule[],
  reaper: ReaperSetting,
): CheckResult {
  const whole = rules.find((r) => r.prefix === "");
  const reaping = reaper.enabled ? `; the reaper also runs every ${reaper.intervalMs / 1000} s` : "";
  if (whole) {
    return {
      check: "multipart-cleanup",
      bucket,
      status: "ok",
      message: `lifecycle rule${whole.id ? ` "${whole.id}"` : ""} aborts incomplete multipart uploads after ${whole.days} d${reaping}`,
    };
  }
  if (reaper.enabled) {
    return {
      check: "multipart-cleanup",
      bucket,
      status: "ok",
      message: `the reaper aborts presignd's multipart uploads past their token every ${reaper.intervalMs / 1000} s${rules.length > 0 ? "" : "; no lifecycle rule for the others"}`,
    };
  }
  const partial = rules.map((r) => `"${r.prefix}"`).join(", ");
  return {
    check: "multipart-cleanup",
    bucket,
    status: "warn",
    message: partial
      ? `lifecycle rules abort incomplete multipart uploads only under ${partial}, and the reaper is off`
      : "nothing aborts abandoned multipart uploads: no lifecycle rule with AbortIncompleteMultipartUpload, and the reaper is off",
    fix: LIFECYCLE_FIX,
  };
}

export async function checkMultipartCleanup(
  client: S3Client,
  bucket: string,
  reaper: ReaperSetting,
): Promise<CheckResult> {
  let rules: LifecycleRule[];
  try {
    rules = (await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }))).Rules ?? [];
  } catch (error) {
    if ((error as { name?: string }).name === "NoSuchLifecycleConfiguration") rules = [];
    else if (reaper.enabled) rules = [];
    else
      return {
        check: "multipart-cleanup",
        bucket,
        status: "warn",
        message: `GetBucketLifecycleConfiguration failed (${sdkErrorLabel(error).label}), and the reaper is off`,
        fix: LIFECYCLE_FIX,
      };
  }
  return classifyMultipartCleanup(bucket, abortRules(rules), reaper);
}
