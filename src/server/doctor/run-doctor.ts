import type { Logger } from "pino";
import type { ServerConfig } from "../config/config.js";
import { createS3Backend, type S3Backend } from "../s3/s3-backend.js";
import { checkBucket, classifyRegion, type RegionSource } from "./bucket-check.js";
import { skewFromDate } from "./clock-skew.js";
import { applyCorsFix, checkCors, type PlannedCorsFix, planCorsFix } from "./cors-check.js";
import { checkCredentials } from "./credentials-check.js";
import type { CheckResult } from "./doctor-result.js";
import { checkMultipartCleanup } from "./multipart-cleanup.js";
import { checkPostProbe } from "./post-probe-check.js";
import { checkPublicEndpoint } from "./public-endpoint-check.js";
import { type SignedHeadAnswer, signedHead } from "./signed-head.js";
import { checkVersioning } from "./versioning-check.js";

/** What presignd doctor needs besides the configuration: a quiet logger (its output is the report). */
export interface DoctorDeps {
  readonly logger: Logger;
  readonly now?: () => Date;
}

/** An S3 backend built exactly as serve builds it, for the checks and --fix-cors. */
export async function openDoctorBackend(config: ServerConfig, deps: DoctorDeps): Promise<S3Backend | CheckResult> {
  try {
    return await createS3Backend(config, deps.logger);
  } catch (error) {
    return {
      check: "region",
      status: "fail",
      message: `serve would not start: ${(error as Error).message}`,
      fix: "set --region, or check --endpoint and the credentials",
    };
  }
}

function regionSource(config: ServerConfig, bucket: string): RegionSource {
  if (config.region !== undefined) return "--region";
  return config.stores.get(bucket)?.region !== undefined ? "store default" : "discovered";
}

/** Every check, against every configured bucket, with serve's settings and credentials. */
export async function runDoctor(config: ServerConfig, backend: S3Backend, deps: DoctorDeps): Promise<CheckResult[]> {
  const now = deps.now ?? (() => new Date());
  const results: CheckResult[] = [];
  const creds = await checkCredentials(backend.credentials, now(), config.maxTtlSeconds);
  results.push(creds.result);
  const credentials = creds.credentials;
  if (!credentials) return results;
  const heads = new Map<string, SignedHeadAnswer>();
  await Promise.all(
    [...backend.internalEndpoints].map(async ([bucket, endpoint]) => {
      heads.set(bucket, await signedHead(endpoint, credentials));
    }),
  );
  const dated = [...heads.values()].find((h) => "status" in h && h.date);
  const skew = dated && "status" in dated ? skewFromDate(dated.date, dated.receivedAt) : undefined;
  results.push(
    skew ?? {
      check: "clock-skew",
      status: "warn",
      message: "the store answered with no Date header (or not at all): clock skew unknown",
      fix: "check this host's clock against NTP",
    },
  );
  const reaper = {
    enabled: config.handleStore !== undefined && config.reapIntervalMs > 0,
    intervalMs: config.reapIntervalMs,
  };
  const origins = config.cors?.origins ?? [];
  for (const bucket of config.buckets) {
    const client = backend.sdkClient(bucket);
    const endpoint = backend.internalEndpoints.get(bucket);
    const facts = await checkBucket(client, bucket);
    results.push(facts.result);
    // A bucket that is not there (or not reached) has no region to compare, unless S3 named it.
    if (endpoint && (facts.exists || facts.reportedRegion))
      results.push(classifyRegion(bucket, endpoint.region, regionSource(config, bucket), facts, heads.get(bucket)));
    if (!facts.exists) continue;
    const publicEndpoint = backend.buckets.get(bucket);
    if (config.publicEndpoint && publicEndpoint) results.push(await checkPublicEndpoint(publicEndpoint, credentials));
    if (origins.length > 0) results.push(await checkCors(client, bucket, origins));
    results.push(await checkMultipartCleanup(client, bucket, reaper));
    results.push(await checkVersioning(client, bucket));
    const profile = backend.stores.get(bucket);
    if (endpoint && profile && profile.postRefusal === undefined) {
      results.push(await checkPostProbe(endpoint, profile, credentials, client));
    }
  }
  if (origins.length === 0) {
    results.push({
      check: "cors",
      status: "ok",
      message: "no --cors-origin configured: bucket CORS not checked (browsers are not expected)",
    });
  }
  return results;
}

/** --fix-cors, first half: what the CORS of each bucket whose check did not pass would become. */
export async function planCorsFixes(
  config: ServerConfig,
  backend: S3Backend,
  results: readonly CheckResult[],
): Promise<PlannedCorsFix[]> {
  const origins = config.cors?.origins ?? [];
  const buckets = results
    .filter((r) => r.check === "cors" && r.bucket && r.status !== "ok")
    .map((r) => r.bucket as string);
  return Promise.all(buckets.map((bucket) => planCorsFix(backend.sdkClient(bucket), bucket, origins)));
}

/** --fix-cors, second half: PutBucketCors for each plan, then the CORS check again. */
export async function applyCorsFixes(
  config: ServerConfig,
  backend: S3Backend,
  fixes: readonly PlannedCorsFix[],
): Promise<CheckResult[]> {
  const origins = config.cors?.origins ?? [];
  const results: CheckResult[] = [];
  for (const fix of fixes) {
    const client = backend.sdkClient(fix.bucket);
    await applyCorsFix(client, fix);
    results.push(await checkCors(client, fix.bucket, origins));
  }
  return results;
}
