import { BYTE_SIZE_SYNTAX, parseByteSize } from "../../core/byte-size.js";
import { DurationError, parseDelayMs, parseDurationMs, parseDurationSeconds } from "../../core/duration.js";
import { MAX_SIGV4_TTL_SECONDS } from "../../core/expiry.js";
import { MAX_SINGLE_PUT_BYTES } from "../../core/presign-put.js";
import { Networks } from "../access/networks.js";
import { type HandleStoreSetting, parseHandleStore } from "../handles/handle-store-setting.js";
import { CORS_ORIGIN, type CorsSetting, parseCorsOrigin } from "../http/cors.js";
import { CONNECTION_LIMIT_DEFAULTS, type ConnectionLimits } from "../transport/connection-limits.js";

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
  readonly defaultTtlSeconds: number;
  readonly maxTtlSeconds: number;
  /** Largest upload a POST policy allows when neither the request nor the matched rule bounds it. */
  readonly postMaxSize: bigint;
  readonly logLevel: string;
  readonly logKeys: KeyLogging;
  /** The policy file: API keys, JWT settings and rules. Required outside --dev. */
  readonly policyFile?: string;
  /** TLS (HTTP/2 + HTTP/1.1 by ALPN) instead of cleartext; optional client CA for mTLS. */
  readonly tls?: { readonly certFile: string; readonly keyFile: string; readonly clientCaFile?: string };
  /** Proxies (CIDRs) whose X-Forwarded-For names the caller's address; none by default. */
  readonly trustedProxies?: Networks;
  /** Where stored handles live; undefined: only sealed handles (if keys are configured). */
  readonly handleStore?: HandleStoreSetting;
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

/** --drain-delay's default; 0s with --dev, so that Ctrl-C in `npm start` stops at once. */
export const DEFAULT_DRAIN_DELAY = "5s";
export const DEFAULT_SHUTDOWN_TIMEOUT = "30s";

export type MetricsSetting = { readonly host: string; readonly port: number } | "main-port";

export interface DevConfig {
  readonly dataDir: string;
  readonly s3Host: string;
  readonly s3Port: number;
}

/** Options as the CLI parser hands them over (flags already merged with env). */
export interface RawServeOptions {
  bucket?: string[];
  region?: string;
  addr: string;
  endpoint?: string;
  publicEndpoint?: string;
  pathStyle?: boolean;
  defaultTtl: string;
  maxTtl: string;
  /** Default "5GiB" (S3's limit for one upload). */
  postMaxSize?: string;
  logLevel: string;
  logKeys: string;
  policy?: string;
  tlsCert?: string;
  tlsKey?: string;
  tlsClientCa?: string;
  handleStore?: string;
  /** Comma-separated CIDRs. */
  trustedProxies?: string;
  /** Connection limits; unset: CONNECTION_LIMIT_DEFAULTS. */
  headerTimeout?: string;
  requestTimeout?: string;
  idleTimeout?: string;
  maxConnections?: string;
  maxConcurrentStreams?: string;
  /** Unset: DEFAULT_DRAIN_DELAY (0s with --dev). */
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

/** A setting with a bad value; the message names the flag and its env var. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export const DEV_BUCKET = "dev";

/** The metrics listener's setting, as errors name it. */
export const METRICS_ADDR = "--metrics-addr (PRESIGND_METRICS_ADDR)";

/** --metrics-addr: its own listener; unset: the main port in --dev only, else no metrics at all. */
function metricsSetting(raw: RawServeOptions, main: { host: string; port: number }): { metrics?: MetricsSetting } {
  if (raw.metricsAddr === undefined || raw.metricsAddr.trim() === "") return raw.dev ? { metrics: "main-port" } : {};
  const { host, port } = parseAddr(raw.metricsAddr, METRICS_ADDR);
  if (port !== 0 && port === main.port && host === main.host) {
    throw new ConfigError(
      `${METRICS_ADDR}: "${raw.metricsAddr}" is the --addr (PRESIGND_ADDR) address; use another port`,
    );
  }
  return { metrics: { host, port } };
}

/** --cors-origin values; --dev adds every localhost origin and alone may allow `*`. */
function corsSetting(values: readonly string[] | undefined, dev: boolean): { cors?: CorsSetting } {
  const origins = new Set<string>();
  for (const value of values ?? []) {
    if (value.trim() === "") continue;
    const parsed = parseCorsOrigin(value);
    if ("problem" in parsed) throw new ConfigError(`${CORS_ORIGIN}: ${parsed.problem}`);
    if (parsed.origin === "*" && !dev) {
      throw new ConfigError(
        `${CORS_ORIGIN}: "*" lets every web page call presignd with its visitors' credentials; it is allowed only with --dev (list each origin instead)`,
      );
    }
    origins.add(parsed.origin);
  }
  if (origins.size === 0 && !dev) return {};
  const anyOrigin = origins.delete("*");
  return { cors: { origins: [...origins], anyOrigin, localhost: dev } };
}

function trustedProxies(value: string | undefined): { trustedProxies?: Networks } {
  if (value === undefined || value.trim() === "") return {};
  const parsed = Networks.parse(value.split(",").map((c) => c.trim()));
  if (!(parsed instanceof Networks))
    throw new ConfigError(`--trusted-proxies (PRESIGND_TRUSTED_PROXIES): ${parsed.problem}`);
  return { trustedProxies: parsed };
}

export function parseServeOptions(raw: RawServeOptions): ServerConfig {
  const { host, port } = parseAddr(raw.addr, "--addr (PRESIGND_ADDR)");
  const defaultTtlSeconds = parseDuration(raw.defaultTtl, "--default-ttl (PRESIGND_DEFAULT_TTL)");
  const maxTtlSeconds = parseDuration(raw.maxTtl, "--max-ttl (PRESIGND_MAX_TTL)");
  if (maxTtlSeconds > MAX_SIGV4_TTL_SECONDS) {
    throw new ConfigError("--max-ttl (PRESIGND_MAX_TTL): SigV4 presigned requests live at most 7d");
  }
  if (defaultTtlSeconds > maxTtlSeconds) {
    throw new ConfigError("--default-ttl (PRESIGND_DEFAULT_TTL) is longer than --max-ttl (PRESIGND_MAX_TTL)");
  }
  const postMaxSize = parseByteSize(raw.postMaxSize ?? "5GiB");
  if (postMaxSize === undefined || BigInt(postMaxSize) > MAX_SINGLE_PUT_BYTES) {
    throw new ConfigError(
      `--post-max-size (PRESIGND_POST_MAX_SIZE): expected ${BYTE_SIZE_SYNTAX}, at most 5GiB (S3's limit), got "${raw.postMaxSize}"`,
    );
  }
  if (!["full", "hash", "none"].includes(raw.logKeys)) {
    throw new ConfigError(`--log-keys (PRESIGND_LOG_KEYS): expected full, hash or none, got "${raw.logKeys}"`);
  }
  const buckets = [...new Set(raw.bucket ?? [])];
  for (const bucket of buckets) checkBucketName(bucket);
  const endpoint = raw.endpoint && checkUrl(raw.endpoint, "--endpoint (PRESIGND_ENDPOINT)");
  const publicEndpoint =
    raw.publicEndpoint && checkUrl(raw.publicEndpoint, "--public-endpoint (PRESIGND_PUBLIC_ENDPOINT)");

  const common = {
    host,
    port,
    defaultTtlSeconds,
    maxTtlSeconds,
    postMaxSize: BigInt(postMaxSize),
    logLevel: raw.logLevel,
    logKeys: raw.logKeys as KeyLogging,
    limits: connectionLimits(raw),
    shutdown: shutdownSettings(raw),
    ...(publicEndpoint ? { publicEndpoint } : {}),
    ...(raw.policy ? { policyFile: raw.policy } : {}),
    ...trustedProxies(raw.trustedProxies),
    ...tlsSettings(raw),
    ...metricsSetting(raw, { host, port }),
    ...corsSetting(raw.corsOrigin, raw.dev === true),
  };
  const handleStore = handleStoreSetting(raw.handleStore ?? (raw.dev ? "memory" : undefined));
  if (raw.dev) {
    if (endpoint) throw new ConfigError("--dev runs its own S3 server; do not combine it with --endpoint");
    const s3 = parseAddr(raw.devS3Addr, "--dev-s3-addr (PRESIGND_DEV_S3_ADDR)");
    if (!raw.policy && !isLoopback(host)) {
      throw new ConfigError(
        `--dev without --policy authenticates nobody: listen on a loopback address, not ${host} (or pass --policy FILE)`,
      );
    }
    return {
      ...common,
      ...(handleStore ? { handleStore } : {}),
      buckets: buckets.length > 0 ? buckets : [DEV_BUCKET],
      region: raw.region ?? "us-east-1",
      pathStyle: true,
      dev: { dataDir: raw.devDataDir, s3Host: s3.host, s3Port: s3.port },
    };
  }
  if (buckets.length === 0) {
    throw new ConfigError(
      "no bucket: pass -b/--bucket NAME (or PRESIGND_BUCKET), or --dev for the embedded development S3",
    );
  }
  if (!raw.policy) {
    throw new ConfigError(
      "no caller authentication: pass --policy FILE (PRESIGND_POLICY) with API keys or JWT settings and rules; only --dev runs without",
    );
  }
  return {
    ...common,
    ...(handleStore ? { handleStore } : {}),
    buckets,
    pathStyle: raw.pathStyle ?? false,
    ...(raw.region ? { region: raw.region } : {}),
    ...(endpoint ? { endpoint } : {}),
  };
}

function connectionLimits(raw: RawServeOptions): ConnectionLimits {
  const defaults = CONNECTION_LIMIT_DEFAULTS;
  const header = "--header-timeout (PRESIGND_HEADER_TIMEOUT)";
  const request = "--request-timeout (PRESIGND_REQUEST_TIMEOUT)";
  const limits = {
    headerTimeoutMs: parseTimeout(raw.headerTimeout ?? defaults.headerTimeout, header),
    requestTimeoutMs: parseTimeout(raw.requestTimeout ?? defaults.requestTimeout, request),
    idleTimeoutMs: parseTimeout(raw.idleTimeout ?? defaults.idleTimeout, "--idle-timeout (PRESIGND_IDLE_TIMEOUT)"),
    maxConnections: parseCount(
      raw.maxConnections ?? defaults.maxConnections,
      "--max-connections (PRESIGND_MAX_CONNECTIONS)",
      Number.MAX_SAFE_INTEGER,
    ),
    // SETTINGS_MAX_CONCURRENT_STREAMS is a 32-bit value (RFC 9113 §6.5.2).
    maxConcurrentStreams: parseCount(
      raw.maxConcurrentStreams ?? defaults.maxConcurrentStreams,
      "--max-concurrent-streams (PRESIGND_MAX_CONCURRENT_STREAMS)",
      2 ** 32 - 1,
    ),
  };
  // The headers are part of the request (Node's HTTP/1.1 server refuses this too).
  if (limits.headerTimeoutMs > limits.requestTimeoutMs) throw new ConfigError(`${header} is longer than ${request}`);
  return limits;
}

function shutdownSettings(raw: RawServeOptions): ShutdownSettings {
  const delay = "--drain-delay (PRESIGND_DRAIN_DELAY)";
  const drainDelayMs = naming(delay, () => parseDelayMs(raw.drainDelay ?? (raw.dev ? "0s" : DEFAULT_DRAIN_DELAY)));
  if (drainDelayMs > MAX_TIMEOUT_MS) throw new ConfigError(`${delay}: "${raw.drainDelay}" must be at most 24d`);
  return {
    drainDelayMs,
    timeoutMs: parseTimeout(
      raw.shutdownTimeout ?? DEFAULT_SHUTDOWN_TIMEOUT,
      "--shutdown-timeout (PRESIGND_SHUTDOWN_TIMEOUT)",
    ),
  };
}

/** A whole number from 1 to max, written in digits. */
function parseCount(value: string, setting: string, max: number): number {
  const count = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!(count >= 1 && count <= max)) {
    throw new ConfigError(`${setting}: "${value}" is not a whole number from 1 to ${max}`);
  }
  return count;
}

function handleStoreSetting(value: string | undefined): HandleStoreSetting | undefined {
  try {
    return parseHandleStore(value);
  } catch (error) {
    throw new ConfigError(`--handle-store (PRESIGND_HANDLE_STORE): ${(error as Error).message}`);
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

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
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
function checkBucketName(bucket: string): void {
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes("..")) {
    throw new ConfigError(`--bucket (PRESIGND_BUCKET): "${bucket}" is not a valid S3 bucket name`);
  }
}
