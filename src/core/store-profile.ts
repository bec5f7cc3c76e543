import { MAX_SIGV4_TTL_SECONDS } from "./expiry.js";
import { PresignError } from "./presign-error.js";

/** The S3 implementations presignd knows the quirks of (`--provider`). */
export const PROVIDERS = ["aws", "r2", "b2", "gcs", "spaces", "minio", "ceph", "wasabi", "generic"] as const;
export type Provider = (typeof PROVIDERS)[number];

/** How a store's signing region is chosen and checked. */
export interface RegionRule {
  /** Used when --region is unset (instead of discovering it with HeadBucket). */
  readonly default?: string;
  /** The only regions the store answers to; absent: any. */
  readonly accepted?: readonly string[];
  /** The region is part of the endpoint's host and must match it: its capture group 1 ("" for the default region). */
  readonly fromEndpoint?: { readonly host: RegExp; readonly bare: string };
}

/**
 * What one S3 implementation can do, as data: presignd signs what the store
 * implements and refuses the rest before signing (failed_precondition, naming
 * the store and the reason), never handing out a URL that can only fail.
 * Every `*Refusal` is the reason, completing "<describe> …".
 */
export interface StoreProfile {
  readonly provider: Provider;
  /** The store's name in messages and logs, e.g. "Cloudflare R2". */
  readonly describe: string;
  /** POST Object (browser forms, PostPolicy): absent when implemented. */
  readonly postRefusal?: string;
  /** A signed x-amz-checksum-sha256 (checksum_sha256): absent when the store verifies it. */
  readonly checksumRefusal?: string;
  /**
   * Per-part checksums of a multipart upload (checksum_algorithm: a signed
   * x-amz-checksum-crc32c/-sha256 per part, the checksums in Complete's XML):
   * absent when the store accepts them.
   */
  readonly partChecksumRefusal?: string;
  /** One checksum per request: Content-MD5 and x-amz-checksum-* not together. */
  readonly oneChecksum: boolean;
  /** Uploads (PutObject, PostPolicy, CreateMultipartUpload) need an explicit Content-Type. */
  readonly requiresContentType: boolean;
  /** Every multipart part but the last must be exactly part_size. */
  readonly equalParts: boolean;
  /** The addressing style used when --path-style is unset. */
  readonly addressing: "virtual" | "path";
  readonly region: RegionRule;
  /** The longest lifetime of a presigned URL the store honours. */
  readonly maxTtlSeconds: number;
  /** Presigned URLs must name a host matching this (R2: not a custom domain). */
  readonly presignedHost?: { readonly host: RegExp; readonly problem: string };
  /** Warned about at start when no --public-endpoint is set. */
  readonly withoutPublicEndpoint?: string;
  /** Warned about at start, always. */
  readonly startWarning?: string;
}

const NO_POST = "does not implement POST Object; use PutObject";
const B2_CHECKSUMS = "rejects x-amz-checksum-* headers; use content_md5";
const GCS_CHECKSUMS =
  "does not verify x-amz-checksum-* headers (its XML API ignores S3's flexible checksums); use content_md5";
const SPACES_CHECKSUMS = "fails uploads that carry x-amz-checksum-* headers; use content_md5";

const PROFILES: Readonly<Record<Provider, StoreProfile>> = {
  aws: {
    provider: "aws",
    describe: "AWS S3",
    oneChecksum: false,
    requiresContentType: false,
    equalParts: false,
    addressing: "virtual",
    region: {},
    maxTtlSeconds: MAX_SIGV4_TTL_SECONDS,
  },
  r2: {
    provider: "r2",
    describe: "Cloudflare R2",
    postRefusal: NO_POST,
    oneChecksum: true,
    requiresContentType: false,
    equalParts: true,
    addressing: "virtual",
    // us-east-1 is R2's documented alias of auto, for tools that need an AWS region.
    region: { default: "auto", accepted: ["auto", "us-east-1"] },
    maxTtlSeconds: MAX_SIGV4_TTL_SECONDS,
    presignedHost: {
      host: /\.r2\.cloudflarestorage\.com$/,
      problem: "presigned URLs work only on <account>.r2.cloudflarestorage.com, not on a custom domain",
    },
  },
  b2: {
    provider: "b2",
    describe: "Backblaze B2",
    postRefusal: NO_POST,
    checksumRefusal: B2_CHECKSUMS,
    partChecksumRefusal: B2_CHECKSUMS,
    oneChecksum: false,
    requiresContentType: false,
    equalParts: false,
    addressing: "virtual",
    region: { fromEndpoint: { host: /^s3\.([a-z0-9-]+)\.backblazeb2\.com$/, bare: "" } },
    maxTtlSeconds: MAX_SIGV4_TTL_SECONDS,
  },
  gcs: {
    provider: "gcs",
    describe: "Google Cloud Storage",
    checksumRefusal: GCS_CHECKSUMS,
    partChecksumRefusal: GCS_CHECKSUMS,
    oneChecksum: false,
    requiresContentType: true,
    equalParts: false,
    addressing: "virtual",
    region: { default: "auto" },
    // The XML API's HMAC-signed URLs, like SigV4's, live at most 7 days.
    maxTtlSeconds: MAX_SIGV4_TTL_SECONDS,
  },
  spaces: {
    provider: "spaces",
    describe: "DigitalOcean Spaces",
    checksumRefusal: SPACES_CHECKSUMS,
    partChecksumRefusal: SPACES_CHECKSUMS,
    oneChecksum: false,
    requiresContentType: false,
    equalParts: false,
    addressing: "virtual",
    region: {},
    maxTtlSeconds: MAX_SIGV4_TTL_SECONDS,
  },
  minio: {
    provider: "minio",
    describe: "MinIO",
    oneChecksum: false,
    requiresContentType: false,
    equalParts: false,
    addressing: "path",
    region: {},
    maxTtlSeconds: MAX_SIGV4_TTL_SECONDS,
    withoutPublicEndpoint:
      "MinIO checks the signed Host: URLs signed for --endpoint's host fail where clients reach MinIO by another name; set --public-endpoint to the name they use",
  },
  ceph: {
    provider: "ceph",
    describe: "Ceph RGW",
    checksumRefusal:
      "(RGW 16) stores no body checksum, so a signed x-amz-checksum-sha256 would not be verified; use content_md5",
    // RGW 16 takes per-part checksum headers and Complete's XML but stores and verifies none
    // (test/conformance/rgw-part-checksums.test.ts pins it); RGW 18 verifies them: `generic` signs them.
    partChecksumRefusal:
      "(RGW 16) stores and verifies no part checksums, so signed x-amz-checksum-* headers would not be verified; use content_md5 per part",
    oneChecksum: false,
    requiresContentType: false,
    equalParts: false,
    addressing: "path",
    region: {},
    maxTtlSeconds: MAX_SIGV4_TTL_SECONDS,
    startWarning:
      "Ceph RGW 16 stores x-amz-meta-* headers an uploader adds beyond those signed: do not trust object metadata as presignd's",
  },
  wasabi: {
    provider: "wasabi",
    describe: "Wasabi",
    oneChecksum: false,
    requiresContentType: false,
    equalParts: false,
    addressing: "virtual",
    region: { fromEndpoint: { host: /^s3\.(?:([a-z0-9-]+)\.)?wasabisys\.com$/, bare: "us-east-1" } },
    maxTtlSeconds: MAX_SIGV4_TTL_SECONDS,
  },
  generic: {
    provider: "generic",
    describe: "an S3-compatible store",
    oneChecksum: false,
    requiresContentType: false,
    equalParts: false,
    addressing: "virtual",
    region: {},
    maxTtlSeconds: MAX_SIGV4_TTL_SECONDS,
  },
};

/** The capability table of a provider. */
export function storeProfile(provider: Provider): StoreProfile {
  return PROFILES[provider];
}

export function isProvider(value: string): value is Provider {
  return (PROVIDERS as readonly string[]).includes(value);
}

/** Endpoint hosts that name one provider beyond doubt (the host itself or a subdomain of these). */
const DETECTED: readonly { readonly suffix: string; readonly provider: Provider }[] = [
  { suffix: "r2.cloudflarestorage.com", provider: "r2" },
  { suffix: "digitaloceanspaces.com", provider: "spaces" },
  { suffix: "backblazeb2.com", provider: "b2" },
  { suffix: "wasabisys.com", provider: "wasabi" },
  { suffix: "amazonaws.com", provider: "aws" },
];

/**
 * The provider an endpoint host names unambiguously, or undefined:
 * `*.r2.cloudflarestorage.com`, `*.digitaloceanspaces.com`,
 * `*.backblazeb2.com`, `*.wasabisys.com`, `*.amazonaws.com` and exactly
 * `storage.googleapis.com`. Matched on whole DNS labels, so that
 * `r2.cloudflarestorage.com.evil.com` names nothing.
 */
export function detectProvider(endpointHost: string): Provider | undefined {
  const host = endpointHost.toLowerCase().replace(/\.$/, "");
  if (host === "storage.googleapis.com") return "gcs";
  return DETECTED.find(({ suffix }) => host.endsWith(`.${suffix}`))?.provider;
}

/** A start-up problem of a store's settings: the setting it concerns and what is wrong. */
export interface StoreSettingProblem {
  readonly setting: "region" | "publicEndpoint" | "maxTtl";
  readonly problem: string;
}

/** The settings a store profile checks at start. */
export interface StoreSettings {
  /** --region, when set. */
  readonly region?: string;
  /** --endpoint's host, when set. */
  readonly endpointHost?: string;
  /** The host written into presigned URLs (--public-endpoint, else --endpoint), when set. */
  readonly presignedHost?: string;
  readonly maxTtlSeconds: number;
}

/** The signing region a store implies when --region is unset, or undefined (discover it). */
export function defaultRegion(profile: StoreProfile, endpointHost: string | undefined): string | undefined {
  const fromEndpoint = profile.region.fromEndpoint;
  if (fromEndpoint && endpointHost) {
    const match = fromEndpoint.host.exec(endpointHost.toLowerCase());
    if (match) return match[1] || fromEndpoint.bare || undefined;
  }
  return profile.region.default;
}

/** What is wrong with the settings for this store, each naming its setting; [] when nothing. */
export function checkStoreSettings(profile: StoreProfile, settings: StoreSettings): StoreSettingProblem[] {
  const problems: StoreSettingProblem[] = [];
  const { region } = settings;
  if (region !== undefined) {
    const accepted = profile.region.accepted;
    if (accepted && !accepted.includes(region)) {
      const [first, ...aliases] = accepted;
      const or = aliases.length > 0 ? ` (or its alias ${aliases.join(", ")})` : "";
      problems.push({
        setting: "region",
        problem: `${profile.describe} signs for region ${first}${or}, not "${region}"`,
      });
    }
    const implied = profile.region.fromEndpoint && defaultRegion(profile, settings.endpointHost);
    if (implied && region !== implied) {
      problems.push({
        setting: "region",
        problem: `${profile.describe} answers ${settings.endpointHost} in region ${implied}, not "${region}" (leave it unset, or match the endpoint)`,
      });
    }
  }
  const host = settings.presignedHost?.toLowerCase();
  if (profile.presignedHost && host !== undefined && !profile.presignedHost.host.test(host)) {
    problems.push({
      setting: "publicEndpoint",
      problem: `${profile.describe} ${profile.presignedHost.problem} (got ${host})`,
    });
  }
  if (settings.maxTtlSeconds > profile.maxTtlSeconds) {
    problems.push({
      setting: "maxTtl",
      problem: `${profile.describe} honours presigned URLs for at most ${profile.maxTtlSeconds}s`,
    });
  }
  return problems;
}

/** The capability-relevant fields of one presign request, by RPC. */
export type StoreRequest =
  | { readonly rpc: "GetObject" }
  | { readonly rpc: "HeadObject" }
  | { readonly rpc: "DeleteObject" }
  | { readonly rpc: "ListObjects" }
  | {
      readonly rpc: "PutObject";
      readonly contentType: string;
      readonly contentMd5: string;
      readonly checksumSha256: string;
    }
  /** contentType: content_type or content_type_prefix (either puts a Content-Type field in the form). */
  | { readonly rpc: "PostPolicy"; readonly contentType: string }
  /** checksumAlgorithm: "" for none. */
  | { readonly rpc: "CreateMultipartUpload"; readonly contentType: string; readonly checksumAlgorithm: string };

/**
 * Refuses, before anything is signed, what the store cannot do: a
 * PresignError failed_precondition naming the field (or the RPC) and the
 * store, e.g. "PostPolicy: Cloudflare R2 does not implement POST Object; use
 * PutObject".
 */
export function checkStoreRequest(profile: StoreProfile, request: StoreRequest): void {
  const refuse = (field: string, reason: string, fieldName?: string): never => {
    throw new PresignError("failed_precondition", `${field}: ${profile.describe} ${reason}`, fieldName);
  };
  // Reads and deletes carry nothing a store could refuse (their lifetime is capped like the rest).
  switch (request.rpc) {
    case "GetObject":
    case "HeadObject":
    case "DeleteObject":
    case "ListObjects":
      return;
  }
  if (request.rpc === "PostPolicy" && profile.postRefusal) refuse("PostPolicy", profile.postRefusal);
  if (request.rpc === "PutObject" && request.checksumSha256) {
    if (profile.checksumRefusal) refuse("checksum_sha256", profile.checksumRefusal, "checksum_sha256");
    if (profile.oneChecksum && request.contentMd5) {
      refuse(
        "checksum_sha256",
        "accepts one checksum per request; send content_md5 or checksum_sha256, not both",
        "checksum_sha256",
      );
    }
  }
  if (request.rpc === "CreateMultipartUpload" && request.checksumAlgorithm && profile.partChecksumRefusal) {
    refuse("checksum_algorithm", profile.partChecksumRefusal, "checksum_algorithm");
  }
  if (profile.requiresContentType && request.contentType === "") {
    const also = request.rpc === "PostPolicy" ? " (or content_type_prefix)" : "";
    refuse("content_type", `needs an explicit Content-Type on uploads; set content_type${also}`, "content_type");
  }
}

/** One part of a PresignUploadParts request, as the equal-parts rule sees it. */
export interface PartSize {
  readonly partNumber: number;
  readonly contentLength: number;
}

/**
 * The equal-parts rule (R2): every part but the last is exactly `partSize`.
 * A request cannot know which part is the last of the upload; it refuses a
 * shorter part that a higher-numbered part of the same request follows.
 */
export function checkEqualParts(profile: StoreProfile, partSize: number, parts: readonly PartSize[]): void {
  const highest = Math.max(...parts.map((p) => p.partNumber));
  for (const [i, part] of parts.entries()) {
    if (part.contentLength < partSize && part.partNumber < highest) {
      throw new PresignError(
        "failed_precondition",
        `parts[${i}].content_length: ${profile.describe} needs every part but the last to be exactly part_size (${partSize} bytes); part ${part.partNumber} has ${part.contentLength} and part ${highest} follows it`,
        `parts[${i}].content_length`,
      );
    }
  }
}

/** One part of a PresignUploadParts request, as the one-checksum rule sees it. */
export interface PartChecksums {
  readonly contentMd5: string;
  readonly checksum: string;
}

/** The one-checksum rule (R2): a part carries content_md5 or its checksum, not both. */
export function checkOneChecksumPerPart(profile: StoreProfile, parts: readonly PartChecksums[]): void {
  if (!profile.oneChecksum) return;
  const i = parts.findIndex((p) => p.contentMd5 !== "" && p.checksum !== "");
  if (i >= 0) {
    throw new PresignError(
      "failed_precondition",
      `parts[${i}].checksum: ${profile.describe} accepts one checksum per request; send content_md5 or checksum, not both`,
      `parts[${i}].checksum`,
    );
  }
}
