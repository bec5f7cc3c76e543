import { GetBucketLocationCommand, HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { sdkErrorLabel } from "../s3/sdk-error-label.js";
import type { CheckResult } from "./doctor-result.js";
import type { SignedHeadAnswer } from "./signed-head.js";

/** GetBucketLocation's answer as a region: "" (or none) is us-east-1, "EU" is eu-west-1 (S3's legacy names). */
export function locationRegion(constraint: string | undefined): string {
  if (!constraint) return "us-east-1";
  if (constraint === "EU") return "eu-west-1";
  return constraint;
}

/** --region, the store profile's default region (R2: auto), or discovered at start (HeadBucket; else us-east-1). */
export type RegionSource = "--region" | "store default" | "discovered";

/** What the store says of the bucket: whether it is there, and the region it reports. */
export interface BucketFacts {
  readonly result: CheckResult;
  readonly exists: boolean;
  /** x-amz-bucket-region, else GetBucketLocation; undefined when the store reports neither. */
  readonly reportedRegion?: string;
  readonly reportedBy?: "x-amz-bucket-region" | "GetBucketLocation";
}

/** HeadBucket with the server's credentials, then GetBucketLocation when no x-amz-bucket-region came. */
export async function checkBucket(client: S3Client, bucket: string): Promise<BucketFacts> {
  let headerRegion: string | undefined;
  try {
    headerRegion = (await client.send(new HeadBucketCommand({ Bucket: bucket }))).BucketRegion;
  } catch (error) {
    const { label, status } = sdkErrorLabel(error);
    const headers = (error as { $response?: { headers?: Record<string, string> } }).$response?.headers;
    const region = headers?.["x-amz-bucket-region"];
    const fail = (message: string, fix: string): BucketFacts => ({
      result: { check: "bucket", bucket, status: "fail", message, fix },
      exists: status !== 404 && status !== undefined,
      ...(region ? { reportedRegion: region, reportedBy: "x-amz-bucket-region" as const } : {}),
    });
    if (status === 404) return fail("does not exist (HeadBucket: 404)", `create it, or remove it from --bucket`);
    if (status === 301)
      return fail(
        `is in another region${region ? ` (${region})` : ""} than the one presignd asks (HeadBucket: 301)`,
        region ? `set --region ${region}, or leave --region unset to discover each bucket's region` : "set --region",
      );
    if (status === 403)
      return fail(
        "HeadBucket refused (403): the credentials may not use this bucket",
        "grant the credentials s3:ListBucket, s3:GetObject, s3:PutObject (and s3:AbortMultipartUpload) on it",
      );
    if (status === undefined) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code;
      return fail(
        `the store did not answer HeadBucket (${cause ?? (error as Error).message})`,
        "check --endpoint and that the store is up",
      );
    }
    return fail(`HeadBucket failed: ${label}`, "check --endpoint and the store's logs");
  }
  const ok: CheckResult = { check: "bucket", bucket, status: "ok", message: "exists; the credentials may use it" };
  if (headerRegion)
    return { result: ok, exists: true, reportedRegion: headerRegion, reportedBy: "x-amz-bucket-region" };
  try {
    const out = await client.send(new GetBucketLocationCommand({ Bucket: bucket }));
    return {
      result: ok,
      exists: true,
      reportedRegion: locationRegion(out.LocationConstraint),
      reportedBy: "GetBucketLocation",
    };
  } catch {
    // Not every store implements GetBucketLocation, nor may every credential call it.
    return { result: ok, exists: true };
  }
}

/**
 * The region presignd signs for against the one the store reports. A mismatch
 * fails when the store refused a HEAD signed for presignd's region; when it
 * accepted it, the store does not check the signing region (Ceph RGW, which
 * reports its zonegroup's name): a warning, since another store would refuse.
 */
export function classifyRegion(
  bucket: string,
  signingRegion: string,
  /** Where presignd's signing region came from. */
  source: RegionSource,
  facts: Pick<BucketFacts, "reportedRegion" | "reportedBy">,
  head: SignedHeadAnswer | undefined,
): CheckResult {
  const how = source;
  if (facts.reportedRegion === undefined) {
    return {
      check: "region",
      bucket,
      status: "ok",
      message: `signing for ${signingRegion} (${how}); the store reports no region`,
    };
  }
  const by = facts.reportedBy === "x-amz-bucket-region" ? "x-amz-bucket-region" : "GetBucketLocation";
  if (facts.reportedRegion === signingRegion) {
    return {
      check: "region",
      bucket,
      status: "ok",
      message: `signing for ${signingRegion} (${how}), as ${by} reports`,
    };
  }
  const fix = `set --region ${facts.reportedRegion}${source === "--region" && by === "x-amz-bucket-region" ? ", or leave --region unset to discover it" : ""}`;
  const accepted = head !== undefined && "status" in head && head.status < 300;
  if (accepted) {
    return {
      check: "region",
      bucket,
      status: "warn",
      message: `${by} reports ${facts.reportedRegion} but presignd signs for ${signingRegion} (${how}); this store accepted a HEAD signed for ${signingRegion}, so it does not check the signing region, but a store that does would refuse every URL`,
      fix,
    };
  }
  return {
    check: "region",
    bucket,
    status: "fail",
    message: `${by} reports ${facts.reportedRegion} but presignd signs for ${signingRegion} (${how})${head && "status" in head ? `; a HEAD signed for ${signingRegion} got HTTP ${head.status}` : ""}`,
    fix,
  };
}
