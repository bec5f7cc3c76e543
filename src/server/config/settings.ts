import { PROVIDERS } from "../../core/store-profile.js";
import { CONNECTION_LIMIT_DEFAULTS as LIMITS } from "../transport/connection-limits.js";
import type { RawServeOptions } from "./config.js";

/** A setting's value before validation: as typed on the command line, set in the environment or written in the file. */
export type SettingValue = string | boolean | readonly string[];

/**
 * One setting of `presignd serve`. The flag, the environment variable and the
 * config file's key all come from here, so that they cannot drift apart.
 */
export interface ServeSetting {
  /** The long flag without "--", and the config file's key. */
  readonly name: string;
  /** The field of RawServeOptions it fills (commander's camelCase of the name). */
  readonly key: keyof RawServeOptions;
  readonly short?: string;
  /** The flag's argument, as help shows it; absent: an on/off switch. */
  readonly arg?: string;
  /** Repeatable; comma-separated in the environment; a list (or one string) in the file. */
  readonly list?: true;
  readonly env: string;
  readonly description: string;
  /** The default, written as a flag value would be; absent: unset unless `unsetMeans` says what happens. */
  readonly default?: string;
  /** What an unset setting means, for help and `config print`. */
  readonly unsetMeans?: string;
  /**
   * Shown only redacted: "url-password", a URL that can carry a password (a
   * PostgreSQL URL: the password is); "value", the whole value is a secret.
   */
  readonly secret?: "url-password" | "value";
}

/** --drain-delay's default; 0s with --dev, so that Ctrl-C in `npm start` stops at once. */
export const DEFAULT_DRAIN_DELAY = "5s";
export const DEV_DRAIN_DELAY = "0s";
export const DEFAULT_SHUTDOWN_TIMEOUT = "30s";
export const DEFAULT_POST_MAX_SIZE = "5GiB";
/** --reap-interval's default: how often expired multipart uploads are looked for. */
export const DEFAULT_REAP_INTERVAL = "5m";
/** --watch-poll-interval's default: how often pending uploads are HEADed while someone watches. */
export const DEFAULT_WATCH_POLL_INTERVAL = "2s";

/** --webhook-max-attempts' default: 1 s, 2 s, 4 s … 256 s between them, about 8 minutes in all (less the jitter). */
export const DEFAULT_WEBHOOK_MAX_ATTEMPTS = "10";

/** Every setting of `presignd serve`, in --help's order. */
export const SERVE_SETTINGS: readonly ServeSetting[] = [
  {
    name: "bucket",
    key: "bucket",
    short: "-b",
    arg: "<name>",
    list: true,
    env: "PRESIGND_BUCKET",
    description: "bucket to sign for (repeatable or comma-separated; first is the default)",
    unsetMeans: "required outside --dev; dev with --dev",
  },
  {
    name: "region",
    key: "region",
    short: "-r",
    arg: "<region>",
    env: "PRESIGND_REGION",
    description: "signing region",
    unsetMeans: "discovered per bucket with HeadBucket",
  },
  {
    name: "provider",
    key: "provider",
    arg: "<store>",
    env: "PRESIGND_PROVIDER",
    description: `S3 implementation whose capabilities and defaults apply: ${PROVIDERS.join(", ")}`,
    unsetMeans: "detected from --endpoint's host (aws without --endpoint; generic when no host matches or with --dev)",
  },
  {
    name: "bucket-provider",
    key: "bucketProvider",
    arg: "<bucket=store>",
    list: true,
    env: "PRESIGND_BUCKET_PROVIDER",
    description: "another provider for one bucket, e.g. media=r2 (repeatable or comma-separated)",
    unsetMeans: "every bucket has --provider's",
  },
  {
    name: "addr",
    key: "addr",
    short: "-a",
    arg: "<host:port>",
    env: "PRESIGND_ADDR",
    description: "listen address",
    default: "127.0.0.1:8080",
  },
  {
    name: "endpoint",
    key: "endpoint",
    arg: "<url>",
    env: "PRESIGND_ENDPOINT",
    description: "S3 endpoint (Spaces, RGW, R2, MinIO …)",
    unsetMeans: "AWS",
  },
  {
    name: "public-endpoint",
    key: "publicEndpoint",
    arg: "<url>",
    env: "PRESIGND_PUBLIC_ENDPOINT",
    description: "endpoint written into presigned URLs, when clients reach S3 by another name",
    unsetMeans: "--endpoint",
  },
  {
    name: "path-style",
    key: "pathStyle",
    env: "PRESIGND_PATH_STYLE",
    description: "path-style URLs (http://host/bucket/key)",
    unsetMeans: "off; on with --dev",
  },
  {
    name: "default-ttl",
    key: "defaultTtl",
    arg: "<duration>",
    env: "PRESIGND_DEFAULT_TTL",
    description: "URL lifetime when the caller asks for none",
    default: "15m",
  },
  {
    name: "max-ttl",
    key: "maxTtl",
    arg: "<duration>",
    env: "PRESIGND_MAX_TTL",
    description: "longest URL lifetime handed out (≤ 7d)",
    default: "7d",
  },
  {
    name: "post-max-size",
    key: "postMaxSize",
    arg: "<size>",
    env: "PRESIGND_POST_MAX_SIZE",
    description: "largest POST upload when neither the request nor its rule sets one (≤ 5GiB)",
    default: DEFAULT_POST_MAX_SIZE,
  },
  {
    name: "log-level",
    key: "logLevel",
    arg: "<level>",
    env: "PRESIGND_LOG_LEVEL",
    description: "pino log level",
    default: "info",
  },
  {
    name: "policy",
    key: "policy",
    arg: "<file>",
    env: "PRESIGND_POLICY",
    description:
      "policy file: API keys, JWT settings and rules (YAML or JSON; SIGHUP reloads); in a config file also inline, as a mapping",
    unsetMeans: "required outside --dev",
  },
  {
    name: "tls-cert",
    key: "tlsCert",
    arg: "<file>",
    env: "PRESIGND_TLS_CERT",
    description: "TLS certificate (PEM): serve HTTPS, HTTP/2 by ALPN",
    unsetMeans: "cleartext",
  },
  { name: "tls-key", key: "tlsKey", arg: "<file>", env: "PRESIGND_TLS_KEY", description: "TLS private key (PEM)" },
  {
    name: "tls-client-ca",
    key: "tlsClientCa",
    arg: "<file>",
    env: "PRESIGND_TLS_CLIENT_CA",
    description: "CA (PEM) whose client certificates authenticate callers (mTLS)",
  },
  {
    name: "trusted-proxies",
    key: "trustedProxies",
    arg: "<cidrs>",
    env: "PRESIGND_TRUSTED_PROXIES",
    description: "proxies (comma-separated CIDRs) whose X-Forwarded-For names the caller's address for rule networks",
  },
  {
    name: "handle-store",
    key: "handleStore",
    arg: "<url>",
    env: "PRESIGND_HANDLE_STORE",
    description: "stored object handles: FILE or sqlite:FILE (SQLite), postgres://… (shared by instances), memory",
    unsetMeans: "none; memory with --dev",
    secret: "url-password",
  },
  {
    name: "reap-interval",
    key: "reapInterval",
    arg: "<duration>",
    env: "PRESIGND_REAP_INTERVAL",
    description:
      "how often the multipart reaper aborts uploads whose token expired (needs --handle-store; 0 turns it off)",
    default: DEFAULT_REAP_INTERVAL,
  },
  {
    name: "watch-poll-interval",
    key: "watchPollInterval",
    arg: "<duration>",
    env: "PRESIGND_WATCH_POLL_INTERVAL",
    description:
      "while WatchUploads has watchers (with webhooks: always), how often uploads signed and not yet landed are HEADed (at most 20 a run; 0 turns it off)",
    default: DEFAULT_WATCH_POLL_INTERVAL,
  },
  {
    name: "webhook-url",
    key: "webhookUrl",
    arg: "<url>",
    env: "PRESIGND_WEBHOOK_URL",
    description:
      "POST each upload that lands to this URL, signed (Standard Webhooks), retried with backoff (needs --handle-store; http only to loopback or with --dev)",
    unsetMeans: "no webhooks",
  },
  {
    name: "webhook-secret",
    key: "webhookSecret",
    arg: "<secret>",
    env: "PRESIGND_WEBHOOK_SECRET",
    description: "the webhooks' signing secret: whsec_<base64> (prefer the environment or the config file to the flag)",
    unsetMeans: "required with --webhook-url",
    secret: "value",
  },
  {
    name: "webhook-prefix",
    key: "webhookPrefix",
    arg: "<prefix>",
    env: "PRESIGND_WEBHOOK_PREFIX",
    description: "deliver only uploads whose key starts with this (in every bucket)",
    unsetMeans: "every upload",
  },
  {
    name: "webhook-max-attempts",
    key: "webhookMaxAttempts",
    arg: "<n>",
    env: "PRESIGND_WEBHOOK_MAX_ATTEMPTS",
    description: "attempts per event (1 s, 2 s, 4 s … apart, at most 5 min) before it is logged, counted and skipped",
    default: DEFAULT_WEBHOOK_MAX_ATTEMPTS,
  },
  {
    name: "notification-secret",
    key: "notificationSecret",
    arg: "<secret>",
    env: "PRESIGND_NOTIFICATION_SECRET",
    description:
      "serve POST /s3-notifications for Ceph RGW bucket notifications whose topic's OpaqueData is this secret (16+ characters; needs --handle-store)",
    unsetMeans: "no notification endpoint",
    secret: "value",
  },
  {
    name: "header-timeout",
    key: "headerTimeout",
    arg: "<duration>",
    env: "PRESIGND_HEADER_TIMEOUT",
    description: "time for a request's headers, and for a new connection's first bytes (HTTP/2: its whole preface)",
    default: LIMITS.headerTimeout,
  },
  {
    name: "request-timeout",
    key: "requestTimeout",
    arg: "<duration>",
    env: "PRESIGND_REQUEST_TIMEOUT",
    description: "time to receive a whole request, headers to end of body",
    default: LIMITS.requestTimeout,
  },
  {
    name: "idle-timeout",
    key: "idleTimeout",
    arg: "<duration>",
    env: "PRESIGND_IDLE_TIMEOUT",
    description:
      "an idle HTTP/1.1 keep-alive connection, or an HTTP/2 session with no open stream, is closed after this",
    default: LIMITS.idleTimeout,
  },
  {
    name: "max-connections",
    key: "maxConnections",
    arg: "<n>",
    env: "PRESIGND_MAX_CONNECTIONS",
    description: "open connections at most; further ones are closed at once",
    default: LIMITS.maxConnections,
  },
  {
    name: "max-concurrent-streams",
    key: "maxConcurrentStreams",
    arg: "<n>",
    env: "PRESIGND_MAX_CONCURRENT_STREAMS",
    description: "HTTP/2 streams open at once per connection",
    default: LIMITS.maxConcurrentStreams,
  },
  {
    name: "drain-delay",
    key: "drainDelay",
    arg: "<duration>",
    env: "PRESIGND_DRAIN_DELAY",
    description: "on SIGTERM/SIGINT, keep serving this long while health says NOT_SERVING, so balancers notice",
    unsetMeans: `${DEFAULT_DRAIN_DELAY}; ${DEV_DRAIN_DELAY} with --dev`,
  },
  {
    name: "shutdown-timeout",
    key: "shutdownTimeout",
    arg: "<duration>",
    env: "PRESIGND_SHUTDOWN_TIMEOUT",
    description: "then, with the port closed (HTTP/2 GOAWAY), the longest in-flight requests get before they are cut",
    default: DEFAULT_SHUTDOWN_TIMEOUT,
  },
  {
    name: "metrics-addr",
    key: "metricsAddr",
    arg: "<host:port>",
    env: "PRESIGND_METRICS_ADDR",
    description: "serve Prometheus /metrics on this address",
    unsetMeans: "no metrics; the main port with --dev",
  },
  {
    name: "cors-origin",
    key: "corsOrigin",
    arg: "<origin>",
    list: true,
    env: "PRESIGND_CORS_ORIGIN",
    description:
      "browser origin allowed to call, scheme://host[:port] (repeatable or comma-separated; * only with --dev)",
    unsetMeans: "none; any localhost origin with --dev",
  },
  {
    name: "log-keys",
    key: "logKeys",
    arg: "<mode>",
    env: "PRESIGND_LOG_KEYS",
    description: "object keys in logs: full, hash or none",
    default: "hash",
  },
  {
    name: "dev",
    key: "dev",
    env: "PRESIGND_DEV",
    description: "development mode: embedded local S3 (bucket dev, fixed credentials)",
    unsetMeans: "off",
  },
  {
    name: "dev-data-dir",
    key: "devDataDir",
    arg: "<dir>",
    env: "PRESIGND_DEV_DATA_DIR",
    description: "embedded S3 data directory",
    default: ".presignd/data",
  },
  {
    name: "dev-s3-addr",
    key: "devS3Addr",
    arg: "<host:port>",
    env: "PRESIGND_DEV_S3_ADDR",
    description: "embedded S3 listen address",
    default: "127.0.0.1:4568",
  },
];

const BY_KEY = new Map(SERVE_SETTINGS.map((s) => [s.key, s]));

/** The setting that fills a RawServeOptions field. */
export function settingOf(key: keyof RawServeOptions): ServeSetting {
  const setting = BY_KEY.get(key);
  if (!setting) throw new Error(`no serve setting fills ${key}`);
  return setting;
}

/** How errors name a setting given on the command line or in the environment: "--addr (PRESIGND_ADDR)". */
export function flagLabel(setting: ServeSetting): string {
  return `--${setting.name} (${setting.env})`;
}

/** A repeatable setting's value: each comma-separated part (flags, env and file alike). */
export function splitList(value: string): string[] {
  return value
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}
