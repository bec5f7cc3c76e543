import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadBucketCommand,
  type HeadBucketCommandOutput,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { getEndpointFromInstructions } from "@smithy/core/endpoints";
import type { Logger } from "pino";
import type { BucketEndpoint } from "../../core/bucket-endpoint.js";
import { DEFAULT_TTL_POLICY } from "../../core/expiry.js";
import { presignAbortMultipart } from "../../core/presign-multipart.js";
import { createPresigner, type SigningCredentials, signRequest } from "../../core/signer.js";
import type { StoreProfile } from "../../core/store-profile.js";
import type { ObjectFacts } from "../../core/upload-expectation.js";
import type { ServerConfig } from "../config/config.js";
import { sdkErrorLabel } from "./sdk-error-label.js";

/** The S3 side of the server: bucket endpoints and a credential provider. */
export interface S3Backend {
  /** Buckets by name, in configuration order (the first is the default). */
  readonly buckets: ReadonlyMap<string, BucketEndpoint>;
  readonly defaultBucket: string;
  /** Where the server itself reaches each bucket (--endpoint, not --public-endpoint), by name. */
  readonly internalEndpoints: ReadonlyMap<string, BucketEndpoint>;
  /**
   * The SDK client for a configured bucket: its signing region, the endpoint
   * the server reaches, the server's credentials (presignd doctor's checks).
   */
  sdkClient(bucket: string): S3Client;
  /** Each bucket's store profile (what it can do), by name. */
  readonly stores: ReadonlyMap<string, StoreProfile>;
  /** The SDK's memoized, self-refreshing credential provider. */
  readonly credentials: () => Promise<SigningCredentials>;
  /** Resolves when credentials load and every bucket answers HeadBucket; rejects with why not. */
  probe(signal?: AbortSignal): Promise<void>;
  /**
   * Buckets whose last probe answered 404: they do not exist at S3, so URLs
   * for them could only fail. Updated by every probe.
   */
  readonly missingBuckets: ReadonlySet<string>;
  /**
   * S3 CreateMultipartUpload through the SDK, at the endpoint the server
   * itself reaches, in the bucket's region; resolves with the upload id.
   * When `signal` (the caller's deadline or cancel) aborts first, rejects
   * with its reason at once; the S3 call itself runs on, under its own
   * timeout, so that an upload S3 did create is aborted, never orphaned.
   */
  createMultipartUpload(upload: NewMultipartUpload, signal?: AbortSignal): Promise<string>;
  /** S3 HeadObject with the server's credentials; undefined when there is no such object (404). */
  headObject(bucket: string, key: string, signal?: AbortSignal): Promise<ObjectHead | undefined>;
  /** S3 AbortMultipartUpload; "gone" when S3 no longer knows the upload (completed or aborted). */
  abortMultipartUpload(upload: MultipartUploadRef): Promise<"aborted" | "gone">;
  /** S3 ListMultipartUploads of a bucket, every page (at most `limit` uploads). */
  listMultipartUploads(bucket: string, limit: number): Promise<ListedMultipartUpload[]>;
  close(): void;
}

/** An object as HeadObject reports it. */
export interface ObjectHead extends ObjectFacts {
  readonly versionId?: string;
  readonly lastModified?: Date;
  readonly checksumCrc32c?: string;
}

export interface MultipartUploadRef {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
}

export interface ListedMultipartUpload extends MultipartUploadRef {
  readonly initiated?: Date;
}

export interface NewMultipartUpload {
  readonly bucket: string;
  readonly key: string;
  readonly contentType?: string;
  readonly metadata: Record<string, string>;
  /** S3's ChecksumAlgorithm for the parts (CreateMultipartUpload's x-amz-checksum-algorithm). */
  readonly checksumAlgorithm?: "CRC32C" | "SHA256";
}

export interface S3BackendOptions {
  /** Explicit credentials (development mode); otherwise the SDK's default chain. */
  readonly credentials?: SigningCredentials;
  /** Told the outcome of every S3 call the server makes itself. */
  readonly observer?: S3CallObserver;
}

/** The S3 calls presignd makes itself: region discovery at start, readiness probes, multipart uploads. */
export type S3Call =
  | "discover_region"
  | "readiness_probe"
  | "create_multipart_upload"
  | "abort_multipart_upload"
  | "head_object"
  | "list_multipart_uploads";

/** ok: S3 answered with success; refused: with an error status; unreachable: no answer (network, timeout). */
export type S3CallOutcome = "ok" | "refused" | "unreachable";

/** Where the outcomes of the server's own S3 calls go (the server's Metrics). */
export interface S3CallObserver {
  s3Call(call: S3Call, outcome: S3CallOutcome): void;
}

/** The outcome of an S3 call that failed with `error` (an SDK error carries the HTTP status S3 answered). */
export function failedS3CallOutcome(error: unknown): S3CallOutcome {
  return sdkErrorLabel(error).status === undefined ? "unreachable" : "refused";
}

// Presigned URLs must carry no flexible-checksum parameters the caller cannot
// satisfy (CRC32 by default in recent SDKs) and GETs no x-amz-checksum-mode.
const CHECKSUMS = { requestChecksumCalculation: "WHEN_REQUIRED", responseChecksumValidation: "WHEN_REQUIRED" } as const;

/**
 * Resolves every configured bucket once: its region (given, or discovered
 * with HeadBucket as GetBucketRegion does) and the endpoint clients reach it
 * at (the SDK's own endpoint rules, applied to --public-endpoint when set).
 */
export async function createS3Backend(
  config: ServerConfig,
  logger: Logger,
  options: S3BackendOptions = {},
): Promise<S3Backend> {
  const observe = <T>(call: S3Call, sent: Promise<T>): Promise<T> => {
    const observer = options.observer;
    if (!observer) return sent;
    return sent.then(
      (result) => {
        observer.s3Call(call, "ok");
        return result;
      },
      (error: unknown) => {
        observer.s3Call(call, failedS3CallOutcome(error));
        throw error;
      },
    );
  };
  const base: S3ClientConfig = {
    ...CHECKSUMS,
    forcePathStyle: config.pathStyle,
    ...(options.credentials ? { credentials: options.credentials } : {}),
  };
  const internal = new S3Client({
    ...base,
    region: config.region ?? "us-east-1",
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
  });
  const credentials = internal.config.credentials as () => Promise<SigningCredentials>;
  const buckets = new Map<string, BucketEndpoint>();
  const reachable = new Map<string, BucketEndpoint>();
  // One SDK client per signing region, for the few calls the server makes itself.
  const regional = new Map<string, S3Client>();
  const clientFor = (region: string): S3Client => {
    let client = regional.get(region);
    if (!client) {
      client = new S3Client({
        ...base,
        credentials,
        region,
        maxAttempts: 2,
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      });
      regional.set(region, client);
    }
    return client;
  };
  try {
    for (const bucket of config.buckets) {
      const region =
        config.region ??
        config.stores.get(bucket)?.region ??
        (await discoverRegion((command) => observe("discover_region", internal.send(command)), bucket, config, logger));
      reachable.set(bucket, await resolveEndpoint(internal, bucket, region));
      const signing = new S3Client({
        ...base,
        region,
        ...(config.publicEndpoint || config.endpoint ? { endpoint: config.publicEndpoint ?? config.endpoint } : {}),
      });
      buckets.set(bucket, await resolveEndpoint(signing, bucket, region));
      signing.destroy();
    }
  } catch (error) {
    internal.destroy();
    throw error;
  }
  const missingBuckets = new Set<string>();
  return {
    buckets,
    defaultBucket: config.buckets[0] as string,
    internalEndpoints: reachable,
    sdkClient: (bucket) => clientFor(endpointOf(reachable, bucket).region),
    stores: new Map([...config.stores].map(([bucket, store]) => [bucket, store.profile])),
    credentials,
    probe: (signal) => probeBuckets(reachable, credentials, missingBuckets, signal, options.observer),
    missingBuckets,
    createMultipartUpload(upload, signal) {
      const endpoint = reachable.get(upload.bucket);
      if (!endpoint) return Promise.reject(new Error(`bucket ${upload.bucket} is not configured`));
      const client = clientFor(endpoint.region);
      const created = observe(
        "create_multipart_upload",
        client.send(
          new CreateMultipartUploadCommand({
            Bucket: upload.bucket,
            Key: upload.key,
            ...(upload.contentType ? { ContentType: upload.contentType } : {}),
            Metadata: upload.metadata,
            ...(upload.checksumAlgorithm ? { ChecksumAlgorithm: upload.checksumAlgorithm } : {}),
          }),
          { abortSignal: AbortSignal.timeout(S3_CALL_TIMEOUT_MS) },
        ),
      ).then((out) => {
        if (!out.UploadId) throw new Error("S3 answered CreateMultipartUpload without an UploadId");
        return out.UploadId;
      });
      if (!signal) return created;
      return new Promise<string>((resolve, reject) => {
        const gaveUp = () => {
          reject(signal.reason);
          created.then(
            (uploadId) =>
              abortOrphan(
                (command) =>
                  observe(
                    "abort_multipart_upload",
                    client.send(command, { abortSignal: AbortSignal.timeout(S3_CALL_TIMEOUT_MS) }),
                  ),
                { ...upload, uploadId },
                logger,
              ),
            () => {}, // S3 created nothing
          );
        };
        if (signal.aborted) return gaveUp();
        signal.addEventListener("abort", gaveUp, { once: true });
        created.then(resolve, reject).finally(() => signal.removeEventListener("abort", gaveUp));
      });
    },
    async headObject(bucket, key, signal) {
      const client = clientFor(endpointOf(reachable, bucket).region);
      const timeout = AbortSignal.timeout(S3_CALL_TIMEOUT_MS);
      try {
        const out = await observe(
          "head_object",
          client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }), {
            abortSignal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          }),
        );
        return {
          size: BigInt(out.ContentLength ?? 0),
          etag: out.ETag ?? "",
          contentType: out.ContentType ?? "",
          metadata: lowerCaseNames(out.Metadata ?? {}),
          ...(out.ChecksumSHA256 ? { checksumSha256: out.ChecksumSHA256 } : {}),
          ...(out.ChecksumCRC32C ? { checksumCrc32c: out.ChecksumCRC32C } : {}),
          ...(out.VersionId && out.VersionId !== "null" ? { versionId: out.VersionId } : {}),
          ...(out.LastModified ? { lastModified: out.LastModified } : {}),
        };
      } catch (error) {
        if (sdkErrorLabel(error).status === 404) return undefined;
        // The caller's deadline or cancel keeps its own reason.
        if (signal?.aborted) throw signal.reason;
        throw error;
      }
    },
    async abortMultipartUpload(upload) {
      // Presigned and sent with fetch, exactly as presignd presigns it for callers (like the readiness
      // probe): every store that accepts presignd's URLs accepts this, the embedded S3 included.
      const endpoint = endpointOf(reachable, upload.bucket);
      const creds = await credentials();
      const ctx = { presigner: createPresigner(creds), credentials: creds, now: new Date(), ttl: DEFAULT_TTL_POLICY };
      const signed = await presignAbortMultipart(endpoint, upload, { seconds: 60n, nanos: 0 }, ctx);
      const status = await observe(
        "abort_multipart_upload",
        fetch(signed.url, {
          method: "DELETE",
          headers: signed.headers,
          signal: AbortSignal.timeout(S3_CALL_TIMEOUT_MS),
        }).then(async (response) => {
          await response.body?.cancel();
          if (response.status >= 300 && response.status !== 404) {
            throw Object.assign(new Error(`S3 answered AbortMultipartUpload with HTTP ${response.status}`), {
              $metadata: { httpStatusCode: response.status },
            });
          }
          return response.status;
        }),
      );
      return status === 404 ? "gone" : "aborted";
    },
    async listMultipartUploads(bucket, limit) {
      const client = clientFor(endpointOf(reachable, bucket).region);
      const uploads: ListedMultipartUpload[] = [];
      let keyMarker: string | undefined;
      let uploadIdMarker: string | undefined;
      do {
        const out = await observe(
          "list_multipart_uploads",
          client.send(
            new ListMultipartUploadsCommand({
              Bucket: bucket,
              ...(keyMarker ? { KeyMarker: keyMarker } : {}),
              ...(uploadIdMarker ? { UploadIdMarker: uploadIdMarker } : {}),
            }),
            { abortSignal: AbortSignal.timeout(S3_CALL_TIMEOUT_MS) },
          ),
        );
        for (const u of out.Uploads ?? []) {
          if (u.Key === undefined || u.UploadId === undefined) continue;
          uploads.push({
            bucket,
            key: u.Key,
            uploadId: u.UploadId,
            ...(u.Initiated ? { initiated: u.Initiated } : {}),
          });
        }
        keyMarker = out.IsTruncated ? out.NextKeyMarker : undefined;
        uploadIdMarker = out.IsTruncated ? out.NextUploadIdMarker : undefined;
      } while (keyMarker && uploads.length < limit);
      return uploads.slice(0, limit);
    },
    close: () => {
      internal.destroy();
      for (const client of regional.values()) client.destroy();
    },
  };
}

function endpointOf(endpoints: ReadonlyMap<string, BucketEndpoint>, bucket: string): BucketEndpoint {
  const endpoint = endpoints.get(bucket);
  if (!endpoint) throw new Error(`bucket ${bucket} is not configured`);
  return endpoint;
}

/** S3 reports metadata names as sent; presignd signs them lower-case. */
function lowerCaseNames(metadata: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(metadata).map(([name, value]) => [name.toLowerCase(), value]));
}

/** The most the server waits for its own S3 calls. */
const S3_CALL_TIMEOUT_MS = 30_000;

/** Aborts an upload whose caller gave up before learning its id. */
function abortOrphan(
  send: (command: AbortMultipartUploadCommand) => Promise<unknown>,
  upload: { bucket: string; key: string; uploadId: string },
  logger: Logger,
): void {
  send(new AbortMultipartUploadCommand({ Bucket: upload.bucket, Key: upload.key, UploadId: upload.uploadId })).then(
    () => logger.info({ bucket: upload.bucket }, "aborted a multipart upload whose caller gave up before its id came"),
    (error: unknown) =>
      logger.warn(
        { bucket: upload.bucket, err: sdkErrorLabel(error).label },
        "could not abort a multipart upload whose caller gave up; S3 lifecycle rules must reclaim it",
      ),
  );
}

async function resolveEndpoint(client: S3Client, bucket: string, region: string): Promise<BucketEndpoint> {
  const endpoint = await getEndpointFromInstructions({ Bucket: bucket, Key: "k" }, GetObjectCommand, client.config);
  const url = endpoint.url;
  const scheme = (endpoint.properties?.authSchemes as { name?: string; signingRegion?: string }[] | undefined)?.[0];
  return {
    bucket,
    region: scheme?.signingRegion ?? region,
    protocol: url.protocol === "http:" ? "http:" : "https:",
    hostname: url.hostname,
    ...(url.port ? { port: Number(url.port) } : {}),
    pathPrefix: url.pathname.replace(/\/+$/, ""),
  };
}

/**
 * Sends each bucket a HEAD request presigned exactly as presignd presigns for
 * callers, to the endpoint the server itself reaches: ready means "S3 accepts
 * our signatures for every bucket", not merely "credentials load". Records in
 * `missing` which buckets answered 404 (and forgets those that answer again).
 */
async function probeBuckets(
  buckets: ReadonlyMap<string, BucketEndpoint>,
  credentials: () => Promise<SigningCredentials>,
  missing: Set<string>,
  signal: AbortSignal | undefined,
  observer: S3CallObserver | undefined,
): Promise<void> {
  let creds: SigningCredentials;
  try {
    creds = await credentials();
  } catch (error) {
    throw new BucketProbeFailure(
      "S3 credentials do not load",
      `S3 credentials cannot be loaded (${sdkErrorLabel(error).label}: ${(error as Error).message}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or give the host a role`,
    );
  }
  const ctx = { presigner: createPresigner(creds), credentials: creds, now: new Date(), ttl: DEFAULT_TTL_POLICY };
  // What /readyz may tell anyone, and the detail for the log (hosts, errors).
  const failures: string[] = [];
  const details: string[] = [];
  await Promise.all(
    [...buckets.values()].map(async (endpoint) => {
      const head = await signRequest(
        endpoint,
        {
          method: "HEAD",
          path: endpoint.pathPrefix || "/",
          query: {},
          headers: {},
          expiresIn: { seconds: 60n, nanos: 0 },
        },
        ctx,
      );
      let status: number;
      try {
        status = (await fetch(head.url, { method: "HEAD", ...(signal ? { signal } : {}) })).status;
      } catch (error) {
        observer?.s3Call("readiness_probe", "unreachable");
        const name = (error as Error).name;
        const timedOut = name === "TimeoutError" || name === "AbortError";
        failures.push(`bucket "${endpoint.bucket}": S3 ${timedOut ? "did not answer in time" : "is unreachable"}`);
        const cause = (error as { cause?: { message?: string } }).cause?.message;
        details.push(`bucket "${endpoint.bucket}": ${(error as Error).message}${cause ? ` (${cause})` : ""}`);
        return;
      }
      observer?.s3Call("readiness_probe", status < 300 ? "ok" : "refused");
      if (status === 404) missing.add(endpoint.bucket);
      else if (status < 300) missing.delete(endpoint.bucket);
      const failure =
        status === 404
          ? `bucket "${endpoint.bucket}" does not exist (HEAD answered HTTP 404)`
          : status >= 300
            ? `bucket "${endpoint.bucket}" answered HEAD with HTTP ${status}`
            : undefined;
      if (failure) {
        failures.push(failure);
        details.push(failure);
      }
    }),
  );
  if (failures.length > 0) throw new BucketProbeFailure(failures.join("; "), details.join("; "));
}

/** The readiness probe's findings: a public reason and the detail behind it. */
export class BucketProbeFailure extends Error {
  override readonly name = "BucketProbeFailure";
  constructor(
    /** Safe to tell anyone (unauthenticated /readyz): buckets and HTTP statuses, no hosts or errors. */
    message: string,
    /** For the server's log. */
    readonly detail: string,
  ) {
    super(message);
  }
}

/** Reads x-amz-bucket-region, which S3 returns even with a 301 or 403. */
async function discoverRegion(
  send: (command: HeadBucketCommand) => Promise<HeadBucketCommandOutput>,
  bucket: string,
  config: ServerConfig,
  logger: Logger,
): Promise<string> {
  let region: string | undefined;
  let failure: unknown;
  try {
    region = (await send(new HeadBucketCommand({ Bucket: bucket }))).BucketRegion;
  } catch (error) {
    failure = error;
    const headers = (error as { $response?: { headers?: Record<string, string> } }).$response?.headers;
    region = headers?.["x-amz-bucket-region"];
  }
  if (region) {
    logger.info({ bucket, region }, "discovered bucket region");
    return region;
  }
  if (config.endpoint) {
    // S3-compatible servers (RGW, MinIO, s3rver) often do not report a region.
    logger.warn(
      { bucket, err: describe(failure) },
      "bucket region not reported by the endpoint; signing for us-east-1 (set --region to choose)",
    );
    return "us-east-1";
  }
  throw new Error(`could not discover the region of bucket "${bucket}" (${describe(failure)}); pass --region`);
}

function describe(error: unknown): string {
  if (error === undefined) return "no x-amz-bucket-region header";
  const e = error as { name?: string; message?: string };
  return `${e.name ?? "Error"}: ${e.message ?? String(error)}`;
}
