import { BYTE_SIZE_SYNTAX, parseByteSize } from "../../core/byte-size.js";
import { DurationError, parseDelayMs, parseDurationMs, parseDurationSeconds } from "../../core/duration.js";
import { MAX_SIGV4_TTL_SECONDS } from "../../core/expiry.js";
import { MAX_SINGLE_PUT_BYTES } from "../../core/presign-put.js";
import { Networks } from "../access/networks.js";
import { type HandleStoreSetting, parseHandleStore } from "../handles/handle-store-setting.js";
import { type CorsSetting, parseCorsOrigin } from "../http/cors.js";
import { CONNECTION_LIMIT_DEFAULTS, type ConnectionLimits } from "../transport/connection-limits.js";
import {
  DEFAULT_DRAIN_DELAY,
  DEFAULT_POST_MAX_SIZE,
  DEFAULT_REAP_INTERVAL,
  DEFAULT_SHUTDOWN_TIMEOUT,
  DEFAULT_WATCH_POLL_INTERVAL,
  DEV_DRAIN_DELAY,
  flagLabel,
  settingOf,
} from "./settings.js";
import { type BucketStore, bucketStores } from "./store-settings.js";
import { isLoopbackHost, type WebhookSettings, webhookSettings } from "./webhook-settings.js";

/** How object keys appear in logs: keys can carry personal data. */
export type KeyLogging = "full" | "hash" | "none";

/** The validated configuration of `presignd serve`. */
export interface ServerConfig {
  /** Buckets the server signs for; the first is the default. */
  readonly buckets: readonly string[];
  /** Signing region; undefined = discover each bucket's region at start. */
  readonly region?: string;
  readonly host: string;
  readonly port: number;
  /** S3 endpoint the server itself talks to (region discovery). */
  readonly endpoint?: string;
  /** Endpoint written into presigned URLs, when clients reach S3 by another name. */
  readonly publicEndpoint?: string;
  readonly pathStyle: boolean;
  /** Each bucket's store profile (capabilities and defaults), in bucket order. */
  readonly stores: ReadonlyMap<string, BucketStore>;
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  /** Largest upload a POST policy allows when neither the request nor the matched rule bounds it. */
  readonly postMaxSize: bigint;
  readonly logLevel: string;
  readonly logKeys: KeyLogging;
  /** The policy file: API keys, JWT settings and rules. Required outside --dev. */
  readonly policyFile?: string;
  /** The policy is the `policy:` mapping of policyFile (a config file), not the whole file. */
  readonly policyInline?: boolean;
  /** TLS (HTTP/2 + HTTP/1.1 by ALPN) instead of cleartext; optional client CA for mTLS. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string };
  /** Proxies (CIDRs) whose X-Forwarded-For names the caller's address; none by default. */
  readonly trustedProxies?: Networks;
  /** Where stored handles live; undefined: only sealed handles (if keys are configured). */
  readonly handleStore?: HandleStoreSetting;
  /** How often the multipart reaper runs (with a handle store); 0: never. */
  readonly reapIntervalMs: number;
  /** How often pending uploads are HEADed while WatchUploads has watchers (always, with webhooks); 0: never. */
  readonly watchPollIntervalMs: number;
  /** Landed uploads POSTed to a backend, signed (--webhook-url); undefined: no webhooks. */
  readonly webhook?: WebhookSettings;
  /** The secret RGW bucket notifications carry (OpaqueData); undefined: no /s3-notifications. */
  readonly notificationSecret?: string;
  /** Timeouts and caps on connections and HTTP/2 streams. */
  readonly limits: ConnectionLimits;
  /** Graceful shutdown (SIGTERM): how long to keep serving while NOT_SERVING, then how long in-flight requests get. */
  readonly shutdown: ShutdownSettings;
  /**
   * Where Prometheus metrics are served: a listener of their own (--metrics-addr),
   * the main port (--dev without --metrics-addr), or nowhere (undefined).
   */
  readonly metrics?: MetricsSetting;
  /** Browser origins allowed to call (--cors-origin; localhost too with --dev); undefined: no CORS headers. */
  readonly cors?: CorsSetting;
  /** Development mode: an embedded S3 server with fixed credentials. */
  readonly dev?: DevConfig;
}

export interface ShutdownSettings {
  /** Serving on after SIGTERM while health says NOT_SERVING, so that balancers notice (--drain-delay). */
  readonly drainDelayMs: number;
  /** Then, with the port closed and GOAWAY sent: the most in-flight requests get (--shutdown-timeout). */
  readonly timeoutMs: number;
}

export type MetricsSetting = { readonly host: string; readonly port: number } | "main-port";

export interface DevConfig {
  readonly dataDir: string;
  readonly s3Host: string;
  readonly s3Port: number;
}

/** Options as the CLI parser hands them over (the layers already merged: flags > env > file > defaults). */
export interface RawServeOptions {
  bucket?: string[];
  /** One of PROVIDERS; unset: detected from the endpoint's host. */
  provider?: string;
  /** BUCKET=PROVIDER entries. */
  bucketProvider?: string[];
  region?: string;
  addr: string;
  endpoint?: string;
  publicEndpoint?: string;
  pathStyle?: boolean;
  defaultTtl: string;
  maxTtl: string;
  /** Default DEFAULT_POST_MAX_SIZE (S3's limit for one upload). */
  postMaxSize?: string;
  logLevel: string;
  logKeys: string;
  policy?: string;
  /** `policy` names a config file whose `policy:` mapping is the policy. */
  policyInline?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  handleStore?: string;
  /** Unset: DEFAULT_REAP_INTERVAL. */
  reapInterval?: string;
  /** Unset: DEFAULT_WATCH_POLL_INTERVAL. */
  watchPollInterval?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  webhookPrefix?: string;
  /** Unset: DEFAULT_WEBHOOK_MAX_ATTEMPTS. */
  webhookMaxAttempts?: string;
  /** Shared with the RGW topic as its OpaqueData. */
  notificationSecret?: string;
  /** Comma-separated CIDRs. */
  trustedProxies?: string;
  /** Connection limits; unset: CONNECTION_LIMIT_DEFAULTS. */
  headerTimeout?: string;
  requestTimeout?: string;
  idleTimeout?: string;
  maxConnections?: string;
  maxConcurrentStreams?: string;
  /** Unset: DEFAULT_DRAIN_DELAY (DEV_DRAIN_DELAY with --dev). */
  drainDelay?: string;
  /** Unset: DEFAULT_SHUTDOWN_TIMEOUT. */
  shutdownTimeout?: string;
  /** HOST:PORT of the metrics listener. */
  metricsAddr?: string;
  /** Browser origins (repeatable; env comma-separated); `*` only with --dev. */
  corsOrigin?: string[];
  dev?: boolean;
  devDataDir: string;
  devS3Addr: string;
}

/**
 * A setting with a bad value; the message names the setting (the flag and its
 * env var, or for a config file's value its key and file:line:col). `problems`
 * holds every problem found, one line each; the message joins them.
 */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
  readonly problems: readonly string[];

  constructor(message: string, problems?: readonly string[]) {
    super(message);
    this.problems = problems ?? [message];
  }

  /** One problem as its own message; several under a heading, one per indented line. */
  static of(problems: readonly string[]): ConfigError {
    const message = problems.length === 1 ? (problems[0] as string) : `invalid settings\n  ${problems.join("\n  ")}`;
    return new ConfigError(message, problems);
  }
}

/** Where the values of a config file came from, so that problems name the key and its file:line:col. */
export interface SettingOrigins {
  /** The config file, for problems that are no single setting's (a required setting missing). */
  readonly file: string;
  /** "file:line:col" of a setting's value when the file gave it; undefined when a flag, env or default did. */
  at(key: keyof RawServeOptions): string | undefined;
}

/** Collects every problem of a configuration, each naming its setting as its source calls it. */
class Problems {
  private readonly lines: string[] = [];

  constructor(private readonly origins: SettingOrigins | undefined) {}

  /** "--addr (PRESIGND_ADDR)" for a flag or env value; "addr" for the config file's. */
  label(key: keyof RawServeOptions): string {
    const setting = settingOf(key);
    return this.origins?.at(key) ? setting.name : flagLabel(setting);
  }

  add(key: keyof RawServeOptions | undefined, message: string): void {
    const at = key ? this.origins?.at(key) : this.origins?.file;
    this.lines.push(at ? `${at}: ${message}` : message);
  }

  /** Runs one check; its ConfigError is recorded against the setting, and undefined returned. */
  check<T>(key: keyof RawServeOptions, parse: (label: string) => T): T | undefined {
    try {
      return parse(this.label(key));
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      for (const problem of error.problems) this.add(key, problem);
      return undefined;
    }
  }

  throwIfAny(): void {
    if (this.lines.length > 0) throw ConfigError.of(this.lines);
  }
}

export const DEV_BUCKET = "dev";

/** The metrics listener's setting, as errors name it. */
export const METRICS_ADDR = flagLabel(settingOf("metricsAddr"));

/** --metrics-addr: its own listener; unset: the main port in --dev only, else no metrics at all. */
function metricsSetting(
  raw: RawServeOptions,
  main: { host: string; port: number } | undefined,
  p: Problems,
): { metrics?: MetricsSetting } {
  if (raw.metricsAddr === undefined || raw.metricsAddr.trim() === "") return raw.dev ? { metrics: "main-port" } : {};
  const metricsAddr = raw.metricsAddr;
  const metrics = p.check("metricsAddr", (label) => {
    const { host, port } = parseAddr(metricsAddr, label);
    if (port !== 0 && port === main?.port && host === main.host) {
      throw new ConfigError(`${label}: "${metricsAddr}" is the ${p.label("addr")} address; use another port`);
    }
    return { host, port };
  });
  return metrics ? { metrics } : {};
}

/** --cors-origin values; --dev adds every localhost origin and alone may allow `*`. */
function corsSetting(values: readonly string[] | undefined, dev: boolean, label: string): { cors?: CorsSetting } {
  const origins = new Set<string>();
  for (const value of values ?? []) {
    if (value.trim() === "") continue;
    const parsed = parseCorsOrigin(value);
    if ("problem" in parsed) throw new ConfigError(`${label}: ${parsed.problem}`);
    if (parsed.origin === "*" && !dev) {
      throw new ConfigError(
        `${label}: "*" lets every web page call presignd with its visitors' credentials; it is allowed only with --dev (list each origin instead)`,
      );
    }
    origins.add(parsed.origin);
  }
  if (origins.size === 0 && !dev) return {};
  const anyOrigin = origins.delete("*");
  return { cors: { origins: [...origins], anyOrigin, localhost: dev } };
}

/** Shorter secrets could be guessed by anyone who can reach the port. */
const MIN_NOTIFICATION_SECRET = 16;

function notificationSecret(value: string | undefined, label: string): { notificationSecret?: string } {
  if (value === undefined || value === "") return {};
  // The value itself is never part of a message.
  if (value.length < MIN_NOTIFICATION_SECRET)
    throw new ConfigError(
      `${label}: must be at least ${MIN_NOTIFICATION_SECRET} characters (e.g. openssl rand -hex 24)`,
    );
  return { notificationSecret: value };
}

function trustedProxies(value: string | undefined, label: string): { trustedProxies?: Networks } {
  if (value === undefined || value.trim() === "") return {};
  const parsed = Networks.parse(value.split(",").map((c) => c.trim()));
  if (!(parsed instanceof Networks)) throw new ConfigError(`${label}: ${parsed.problem}`);
  return { trustedProxies: parsed };
}

/**
 * Validates the merged settings into the one ServerConfig. Every problem is
 * reported at once; with `origins`, a config file's values are named by their
 * key and file:line:col.
 */
export function parseServeOptions(raw: RawServeOptions, origins?: SettingOrigins): ServerConfig {
  const p = new Problems(origins);
  const main = p.check("addr", (label) => parseAddr(raw.addr, label));
  const defaultTtlSeconds = p.check("defaultTtl", (label) => parseDuration(raw.defaultTtl, label));
  const maxTtlSeconds = p.check("maxTtl", (label) => {
    const seconds = parseDuration(raw.maxTtl, label);
    if (seconds > MAX_SIGV4_TTL_SECONDS) throw new ConfigError(`${label}: SigV4 presigned requests live at most 7d`);
    return seconds;
  });
  if (defaultTtlSeconds !== undefined && maxTtlSeconds !== undefined && defaultTtlSeconds > maxTtlSeconds) {
    p.add("defaultTtl", `${p.label("defaultTtl")} is longer than ${p.label("maxTtl")}`);
  }
  const postMaxSize = p.check("postMaxSize", (label) => {
    const size = parseByteSize(raw.postMaxSize ?? DEFAULT_POST_MAX_SIZE);
    if (size === undefined || BigInt(size) > MAX_SINGLE_PUT_BYTES) {
      throw new ConfigError(
        `${label}: expected ${BYTE_SIZE_SYNTAX}, at most 5GiB (S3's limit), got "${raw.postMaxSize}"`,
      );
    }
    return BigInt(size);
  });
  if (!["full", "hash", "none"].includes(raw.logKeys)) {
    p.add("logKeys", `${p.label("logKeys")}: expected full, hash or none, got "${raw.logKeys}"`);
  }
  const buckets = [...new Set(raw.bucket ?? [])];
  for (const bucket of buckets) p.check("bucket", (label) => checkBucketName(bucket, label));
  const endpoint = raw.endpoint ? p.check("endpoint", (label) => checkUrl(raw.endpoint as string, label)) : undefined;
  const publicEndpoint = raw.publicEndpoint
    ? p.check("publicEndpoint", (label) => checkUrl(raw.publicEndpoint as string, label))
    : undefined;
  const dev = raw.dev === true;
  const stored = bucketStores(
    {
      buckets: dev && buckets.length === 0 ? [DEV_BUCKET] : buckets,
      provider: raw.provider,
      bucketProvider: raw.bucketProvider,
      endpoint,
      publicEndpoint,
      region: raw.region,
      maxTtlSeconds,
      dev,
    },
    (key) => p.label(key),
  );
  for (const { key, message } of stored.problems) p.add(key, message);
  const stores = stored.stores;
  const limits = connectionLimits(raw, p);
  const shutdown = shutdownSettings(raw, p);
  const common = {
    host: main?.host ?? "",
    port: main?.port ?? 0,
    defaultTtlSeconds: defaultTtlSeconds ?? 0,
    maxTtlSeconds: maxTtlSeconds ?? 0,
    postMaxSize: postMaxSize ?? 0n,
    logLevel: raw.logLevel,
    logKeys: raw.logKeys as KeyLogging,
    limits,
    shutdown,
    reapIntervalMs: p.check("reapInterval", (label) => interval(raw.reapInterval, DEFAULT_REAP_INTERVAL, label)) ?? 0,
    watchPollIntervalMs:
      p.check("watchPollInterval", (label) => interval(raw.watchPollInterval, DEFAULT_WATCH_POLL_INTERVAL, label)) ?? 0,
    stores,
    ...(publicEndpoint ? { publicEndpoint } : {}),
    ...(raw.policy ? { policyFile: raw.policy, ...(raw.policyInline ? { policyInline: true } : {}) } : {}),
    ...(p.check("notificationSecret", (label) => notificationSecret(raw.notificationSecret, label)) ?? {}),
    ...(p.check("trustedProxies", (label) => trustedProxies(raw.trustedProxies, label)) ?? {}),
    ...(p.check("tlsCert", () => tlsSettings(raw)) ?? {}),
    ...metricsSetting(raw, main, p),
    ...(p.check("corsOrigin", (label) => corsSetting(raw.corsOrigin, dev, label)) ?? {}),
  };
  const handleStore = p.check("handleStore", (label) =>
    handleStoreSetting(raw.handleStore ?? (dev ? "memory" : undefined), label),
  );
  const hooks = webhookSettings(
    {
      url: raw.webhookUrl,
      secret: raw.webhookSecret,
      prefix: raw.webhookPrefix,
      maxAttempts: raw.webhookMaxAttempts,
      // A bad --handle-store is its own problem, not also the webhooks'.
      handleStore: handleStore !== undefined || Boolean(raw.handleStore?.trim()),
      dev,
    },
    (key) => p.label(key),
  );
  for (const { key, message } of hooks.problems) p.add(key, message);
  const webhook = hooks.webhook ? { webhook: hooks.webhook } : {};
  if (dev) {
    if (endpoint) p.add("endpoint", `--dev runs its own S3 server; do not combine it with ${p.label("endpoint")}`);
    const s3 = p.check("devS3Addr", (label) => parseAddr(raw.devS3Addr, label));
    if (!raw.policy && main && !isLoopbackHost(main.host)) {
      p.add(
        "addr",
        `--dev without --policy authenticates nobody: listen on a loopback address, not ${main.host} (or pass --policy FILE)`,
      );
    }
    p.throwIfAny();
    return {
      ...common,
      ...(handleStore ? { handleStore } : {}),
      ...webhook,
      buckets: buckets.length > 0 ? buckets : [DEV_BUCKET],
      region: raw.region ?? "us-east-1",
      pathStyle: true,
      dev: { dataDir: raw.devDataDir, s3Host: s3?.host ?? "", s3Port: s3?.port ?? 0 },
    };
  }
  if (buckets.length === 0) {
    p.add(undefined, "no bucket: pass -b/--bucket NAME (or PRESIGND_BUCKET), or --dev for the embedded development S3");
  }
  if (!raw.policy) {
    p.add(
      undefined,
      "no caller authentication: pass --policy FILE (PRESIGND_POLICY) with API keys or JWT settings and rules; only --dev runs without",
    );
  }
  p.throwIfAny();
  return {
    ...common,
    ...(handleStore ? { handleStore } : {}),
    ...webhook,
    buckets,
    // The default bucket's store decides (MinIO and RGW: path style).
    pathStyle: raw.pathStyle ?? [...stores.values()][0]?.profile.addressing === "path",
    ...(raw.region ? { region: raw.region } : {}),
    ...(endpoint ? { endpoint } : {}),
  };
}

function connectionLimits(raw: RawServeOptions, p: Problems): ConnectionLimits {
  const defaults = CONNECTION_LIMIT_DEFAULTS;
  const limits = {
    headerTimeoutMs: p.check("headerTimeout", (label) =>
      parseTimeout(raw.headerTimeout ?? defaults.headerTimeout, label),
    ),
    requestTimeoutMs: p.check("requestTimeout", (label) =>
      parseTimeout(raw.requestTimeout ?? defaults.requestTimeout, label),
    ),
    idleTimeoutMs: p.check("idleTimeout", (label) => parseTimeout(raw.idleTimeout ?? defaults.idleTimeout, label)),
    maxConnections: p.check("maxConnections", (label) =>
      parseCount(raw.maxConnections ?? defaults.maxConnections, label, Number.MAX_SAFE_INTEGER),
    ),
    // SETTINGS_MAX_CONCURRENT_STREAMS is a 32-bit value (RFC 9113 §6.5.2).
    maxConcurrentStreams: p.check("maxConcurrentStreams", (label) =>
      parseCount(raw.maxConcurrentStreams ?? defaults.maxConcurrentStreams, label, 2 ** 32 - 1),
    ),
  };
  // The headers are part of the request (Node's HTTP/1.1 server refuses this too).
  const { headerTimeoutMs, requestTimeoutMs } = limits;
  if (headerTimeoutMs !== undefined && requestTimeoutMs !== undefined && headerTimeoutMs > requestTimeoutMs)
    p.add("headerTimeout", `${p.label("headerTimeout")} is longer than ${p.label("requestTimeout")}`);
  return {
    headerTimeoutMs: headerTimeoutMs ?? 0,
    requestTimeoutMs: requestTimeoutMs ?? 0,
    idleTimeoutMs: limits.idleTimeoutMs ?? 0,
    maxConnections: limits.maxConnections ?? 0,
    maxConcurrentStreams: limits.maxConcurrentStreams ?? 0,
  };
}

function shutdownSettings(raw: RawServeOptions, p: Problems): ShutdownSettings {
  const drainDelayMs = p.check("drainDelay", (label) => {
    const ms = naming(label, () => parseDelayMs(raw.drainDelay ?? (raw.dev ? DEV_DRAIN_DELAY : DEFAULT_DRAIN_DELAY)));
    if (ms > MAX_TIMEOUT_MS) throw new ConfigError(`${label}: "${raw.drainDelay}" must be at most 24d`);
    return ms;
  });
  const timeoutMs = p.check("shutdownTimeout", (label) =>
    parseTimeout(raw.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT, label),
  );
  return { drainDelayMs: drainDelayMs ?? 0, timeoutMs: timeoutMs ?? 0 };
}

/** A period of background work: a duration up to 24 d, or 0 for never. */
function interval(value: string | undefined, fallback: string, label: string): number {
  const ms = naming(label, () => parseDelayMs(value ?? fallback));
  if (ms > MAX_TIMEOUT_MS) throw new ConfigError(`${label}: "${value}" must be at most 24d`);
  return ms;
}

/** A whole number from 1 to max, written in digits. */
function parseCount(value: string, setting: string, max: number): number {
  const count = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!(count >= 1 && count <= max)) {
    throw new ConfigError(`${setting}: "${value}" is not a whole number from 1 to ${max}`);
  }
  return count;
}

function handleStoreSetting(value: string | undefined, label: string): HandleStoreSetting | undefined {
  try {
    return parseHandleStore(value);
  } catch (error) {
    throw new ConfigError(`${label}: ${(error as Error).message}`);
  }
}

/** A boolean environment variable: 1/true/yes/on or 0/false/no/off; unset or empty is undefined. */
export function parseEnvBoolean(value: string | undefined, name: string): boolean | undefined {
  const text = (value ?? "").trim().toLowerCase();
  if (text === "") return undefined;
  if (["1", "true", "yes", "on"].includes(text)) return true;
  if (["0", "false", "no", "off"].includes(text)) return false;
  throw new ConfigError(`${name}: "${value}" is not a boolean (use true or false)`);
}

function tlsSettings(raw: RawServeOptions): Pick<ServerConfig, "tls"> {
  if (!raw.tlsCert && !raw.tlsKey) {
    if (raw.tlsClientCa) throw new ConfigError("--tls-client-ca needs --tls-cert and --tls-key (mTLS runs over TLS)");
    return {};
  }
  if (!raw.tlsCert || !raw.tlsKey)
    throw new ConfigError("--tls-cert and --tls-key go together (PRESIGND_TLS_CERT, PRESIGND_TLS_KEY)");
  return {
    tls: { certFile: raw.tlsCert, keyFile: raw.tlsKey, ...(raw.tlsClientCa ? { clientCaFile: raw.tlsClientCa } : {}) },
  };
}

/** A duration setting (grammar in src/core/duration.ts) → seconds; a bad value names the setting. */
export function parseDuration(value: string, setting: string): number {
  return naming(setting, () => parseDurationSeconds(value));
}

/** A duration parse whose error names the setting. */
function naming<T>(setting: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof DurationError) throw new ConfigError(`${setting}: ${error.message}`);
    throw error;
  }
}

/** The longest timeout Node's timers keep (2³¹−1 ms is about 24.8 days). */
const MAX_TIMEOUT_MS = 24 * 86_400_000;

/** A timeout: "500ms", "10s", "1m30s", or a number of seconds → milliseconds, from 1 ms to 24d. */
export function parseTimeout(value: string, setting: string): number {
  const ms = naming(setting, () => parseDurationMs(value));
  if (ms > MAX_TIMEOUT_MS) throw new ConfigError(`${setting}: "${value}" must be at most 24d`);
  return ms;
}

/** "host:port", ":port" or "[v6]:port". */
export function parseAddr(value: string, setting: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535) {
    throw new ConfigError(`${setting}: "${value}" is not an address like 127.0.0.1:8080`);
  }
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

function checkUrl(value: string, setting: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${setting}: "${value}" is not a URL like https://nyc3.digitaloceanspaces.com`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${setting}: "${value}" must be an http or https URL`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`${setting}: "${value}" must not carry a query, fragment or user info`);
  }
  return value.replace(/\/+$/, "");
}

// S3's bucket naming rules (general purpose buckets, with dots for legacy names).
function checkBucketName(bucket: string, label: string): void {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes("..")) {
    throw new ConfigError(`${label}: "${bucket}" is not a valid S3 bucket name`);
  }
}
