import {
  checkStoreSettings,
  defaultRegion,
  detectProvider,
  isProvider,
  PROVIDERS,
  type Provider,
  type StoreProfile,
  storeProfile,
} from "../../core/store-profile.js";
import type { RawServeOptions } from "./config.js";

/** The store profile of one bucket, and how it was chosen. */
export interface BucketStore {
  readonly profile: StoreProfile;
  /** --provider, --bucket-provider, detected from --endpoint's host, or the default (aws without --endpoint, else generic). */
  readonly source: "provider" | "bucket-provider" | "detected" | "default";
  /** The signing region the store implies when --region is unset (R2: auto); undefined: discover it. */
  readonly region?: string;
}

export interface StoreSettingsInput {
  readonly buckets: readonly string[];
  readonly provider?: string | undefined;
  readonly bucketProvider?: readonly string[] | undefined;
  /** Validated URLs. */
  readonly endpoint?: string | undefined;
  readonly publicEndpoint?: string | undefined;
  readonly region?: string | undefined;
  readonly maxTtlSeconds?: number | undefined;
  /** --dev: the embedded S3 is the endpoint; the profile's refusals apply, its endpoint and region rules do not. */
  readonly dev: boolean;
}

/** A problem, against the setting it names. */
export interface StoreProblem {
  readonly key: keyof RawServeOptions;
  readonly message: string;
}

/**
 * Each bucket's store profile: --bucket-provider, else --provider, else
 * detected from --endpoint's host, else aws (no endpoint) or generic. Then
 * each profile's checks of the region, the presigned host and --max-ttl.
 * `label` names a setting as the problem's source calls it.
 */
export function bucketStores(
  input: StoreSettingsInput,
  label: (key: keyof RawServeOptions) => string,
): { stores: Map<string, BucketStore>; problems: StoreProblem[] } {
  const problems: StoreProblem[] = [];
  const choices = PROVIDERS.join(", ");
  let provider: Provider | undefined;
  if (input.provider !== undefined && input.provider !== "") {
    if (isProvider(input.provider)) provider = input.provider;
    else
      problems.push({ key: "provider", message: `${label("provider")}: "${input.provider}" is not one of ${choices}` });
  }
  const perBucket = new Map<string, Provider>();
  for (const entry of input.bucketProvider ?? []) {
    const match = /^([^=]+)=(.*)$/.exec(entry.trim());
    const problem = (text: string) =>
      problems.push({ key: "bucketProvider", message: `${label("bucketProvider")}: "${entry}" ${text}` });
    if (!match) {
      problem("is not BUCKET=PROVIDER, e.g. media=r2");
      continue;
    }
    const [, bucket = "", name = ""] = match;
    if (!input.buckets.includes(bucket)) problem(`names no configured bucket (${input.buckets.join(", ") || "none"})`);
    else if (!isProvider(name)) problem(`names no provider: use one of ${choices}`);
    else if (perBucket.has(bucket)) problem(`gives bucket ${bucket} a second provider`);
    else perBucket.set(bucket, name);
  }
  const endpointHost = input.dev || !input.endpoint ? undefined : new URL(input.endpoint).hostname;
  const detected = endpointHost === undefined ? undefined : detectProvider(endpointHost);
  const fallback: Provider = input.dev || input.endpoint ? "generic" : "aws";
  const presignedUrl = input.publicEndpoint ?? input.endpoint;
  const stores = new Map<string, BucketStore>();
  const seen = new Set<string>();
  for (const bucket of input.buckets) {
    const own = perBucket.get(bucket);
    const chosen = own ?? provider ?? detected ?? fallback;
    const source = own ? "bucket-provider" : provider ? "provider" : detected ? "detected" : "default";
    const profile = storeProfile(chosen);
    const region = input.dev ? undefined : defaultRegion(profile, endpointHost);
    stores.set(bucket, { profile, source, ...(region ? { region } : {}) });
    const found = checkStoreSettings(profile, {
      ...(input.region !== undefined ? { region: input.region } : {}),
      ...(endpointHost !== undefined ? { endpointHost } : {}),
      ...(!input.dev && presignedUrl ? { presignedHost: new URL(presignedUrl).hostname } : {}),
      maxTtlSeconds: input.maxTtlSeconds ?? 0,
    });
    for (const { setting, problem } of found) {
      const key = setting === "publicEndpoint" && !input.publicEndpoint ? "endpoint" : setting;
      const message = `${label(key)}: ${problem}${own ? ` (bucket ${bucket}, --bucket-provider ${own})` : ""}`;
      if (!seen.has(message)) problems.push({ key, message });
      seen.add(message);
    }
  }
  return { stores, problems };
}
