import { GetBucketVersioningCommand, type S3Client } from "@aws-sdk/client-s3";
import { sdkErrorLabel } from "../s3/sdk-error-label.js";
import type { CheckResult } from "./doctor-result.js";

/**
 * The bucket's versioning state, for callers that send version_id (get,
 * head, delete): only an Enabled (or once-enabled, Suspended) bucket has
 * version ids to name.
 */
export async function checkVersioning(client: S3Client, bucket: string): Promise<CheckResult> {
  let status: string | undefined;
  try {
    status = (await client.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status;
  } catch (error) {
    return {
      check: "versioning",
      bucket,
      status: "warn",
      message: `GetBucketVersioning failed (${sdkErrorLabel(error).label}): whether version_id requests work is unknown`,
      fix: "grant the credentials s3:GetBucketVersioning, or check the bucket's versioning by hand",
    };
  }
  if (status === "Enabled") {
    return {
      check: "versioning",
      bucket,
      status: "ok",
      message: "versioning Enabled: version_id requests name versions",
    };
  }
  if (status === "Suspended") {
    return {
      check: "versioning",
      bucket,
      status: "ok",
      message: "versioning Suspended: older version ids still work, new objects get the version id null",
    };
  }
  return {
    check: "versioning",
    bucket,
    status: "ok",
    message:
      "versioning never enabled: requests with a version_id will fail at the store (enable versioning if callers use them)",
  };
}
