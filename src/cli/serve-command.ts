import os from "node:os";
import { Command, Option } from "commander";
import { DEFAULT_DRAIN_DELAY, DEFAULT_SHUTDOWN_TIMEOUT, type RawServeOptions } from "../server/config.js";
import { CONNECTION_LIMIT_DEFAULTS as LIMITS } from "../server/connection-limits.js";

export function serveCommand(): Command {
  const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(",").filter(Boolean)];
  return new Command("serve")
    .description("serve PresignService (Connect, gRPC and gRPC-Web on one port). Flags override PRESIGND_* env vars.")
    .addOption(
      new Option("-b, --bucket <name>", "bucket to sign for (repeatable or comma-separated; first is the default)")
        .env("PRESIGND_BUCKET")
        .argParser(collect),
    )
    .addOption(
      new Option("-r, --region <region>", "signing region (default: discovered per bucket with HeadBucket)").env(
        "PRESIGND_REGION",
      ),
    )
    .addOption(new Option("-a, --addr <host:port>", "listen address").env("PRESIGND_ADDR").default("127.0.0.1:8080"))
    .addOption(new Option("--endpoint <url>", "S3 endpoint (Spaces, RGW, R2, MinIO …)").env("PRESIGND_ENDPOINT"))
    .addOption(
      new Option(
        "--public-endpoint <url>",
        "endpoint written into presigned URLs, when clients reach S3 by another name",
      ).env("PRESIGND_PUBLIC_ENDPOINT"),
    )
    .addOption(new Option("--path-style", "path-style URLs (http://host/bucket/key) [env: PRESIGND_PATH_STYLE]"))
    .addOption(
      new Option("--default-ttl <duration>", "URL lifetime when the caller asks for none")
        .env("PRESIGND_DEFAULT_TTL")
        .default("15m"),
    )
    .addOption(
      new Option("--max-ttl <duration>", "longest URL lifetime handed out (≤ 7d)")
        .env("PRESIGND_MAX_TTL")
        .default("7d"),
    )
    .addOption(
      new Option(
        "--trusted-proxies <cidrs>",
        "proxies (comma-separated CIDRs) whose X-Forwarded-For names the caller's address for rule networks",
      ).env("PRESIGND_TRUSTED_PROXIES"),
    )
    .addOption(
      new Option(
        "--post-max-size <size>",
        "largest POST upload when neither the request nor its rule sets one (≤ 5GiB)",
      )
        .env("PRESIGND_POST_MAX_SIZE")
        .default("5GiB"),
    )
    .addOption(new Option("--log-level <level>", "pino log level").env("PRESIGND_LOG_LEVEL").default("info"))
    .addOption(
      new Option("--policy <file>", "policy file: API keys, JWT settings and rules (YAML or JSON; SIGHUP reloads)").env(
        "PRESIGND_POLICY",
      ),
    )
    .addOption(
      new Option("--tls-cert <file>", "TLS certificate (PEM): serve HTTPS, HTTP/2 by ALPN").env("PRESIGND_TLS_CERT"),
    )
    .addOption(new Option("--tls-key <file>", "TLS private key (PEM)").env("PRESIGND_TLS_KEY"))
    .addOption(
      new Option("--tls-client-ca <file>", "CA (PEM) whose client certificates authenticate callers (mTLS)").env(
        "PRESIGND_TLS_CLIENT_CA",
      ),
    )
    .addOption(
      new Option(
        "--handle-store <url>",
        "stored object handles: FILE or sqlite:FILE (SQLite), postgres://… (shared by instances), memory (default with --dev)",
      ).env("PRESIGND_HANDLE_STORE"),
    )
    .addOption(
      new Option(
        "--header-timeout <duration>",
        "time for a request's headers, and for a new connection's first bytes (HTTP/2: its whole preface)",
      )
        .env("PRESIGND_HEADER_TIMEOUT")
        .default(LIMITS.headerTimeout),
    )
    .addOption(
      new Option("--request-timeout <duration>", "time to receive a whole request, headers to end of body")
        .env("PRESIGND_REQUEST_TIMEOUT")
        .default(LIMITS.requestTimeout),
    )
    .addOption(
      new Option(
        "--idle-timeout <duration>",
        "an idle HTTP/1.1 keep-alive connection, or an HTTP/2 session with no open stream, is closed after this",
      )
        .env("PRESIGND_IDLE_TIMEOUT")
        .default(LIMITS.idleTimeout),
    )
    .addOption(
      new Option("--max-connections <n>", "open connections at most; further ones are closed at once")
        .env("PRESIGND_MAX_CONNECTIONS")
        .default(LIMITS.maxConnections),
    )
    .addOption(
      new Option("--max-concurrent-streams <n>", "HTTP/2 streams open at once per connection")
        .env("PRESIGND_MAX_CONCURRENT_STREAMS")
        .default(LIMITS.maxConcurrentStreams),
    )
    .addOption(
      new Option(
        "--drain-delay <duration>",
        `on SIGTERM/SIGINT, keep serving this long while health says NOT_SERVING, so balancers notice (default: ${DEFAULT_DRAIN_DELAY}, 0s with --dev)`,
      ).env("PRESIGND_DRAIN_DELAY"),
    )
    .addOption(
      new Option(
        "--shutdown-timeout <duration>",
        "then, with the port closed (HTTP/2 GOAWAY), the longest in-flight requests get before they are cut",
      )
        .env("PRESIGND_SHUTDOWN_TIMEOUT")
        .default(DEFAULT_SHUTDOWN_TIMEOUT),
    )
    .addOption(
      new Option(
        "--metrics-addr <host:port>",
        "serve Prometheus /metrics on this address (default: only with --dev, on the main port)",
      ).env("PRESIGND_METRICS_ADDR"),
    )
    .addOption(
      new Option(
        "--cors-origin <origin>",
        "browser origin allowed to call, scheme://host[:port] (repeatable or comma-separated; * only with --dev, which allows localhost)",
      )
        .env("PRESIGND_CORS_ORIGIN")
        .argParser(collect),
    )
    .addOption(
      new Option("--log-keys <mode>", "object keys in logs: full, hash or none")
        .env("PRESIGND_LOG_KEYS")
        .default("hash"),
    )
    .addOption(
      new Option("--dev", "development mode: embedded local S3 (bucket dev, fixed credentials)").env("PRESIGND_DEV"),
    )
    .addOption(
      new Option("--dev-data-dir <dir>", "embedded S3 data directory")
        .env("PRESIGND_DEV_DATA_DIR")
        .default(".presignd/data"),
    )
    .addOption(
      new Option("--dev-s3-addr <host:port>", "embedded S3 listen address")
        .env("PRESIGND_DEV_S3_ADDR")
        .default("127.0.0.1:4568"),
    )
    .action(async (raw: RawServeOptions, command: Command) => {
      // Loaded here, not at the top: the server (AWS SDK, s3rver, SQLite, pg)
      // would cost every `presignd get/put` ~1 s of start-up and ~40 MiB.
      const [{ parseEnvBoolean, parseServeOptions }, { createLogger }, { startServer }] = await Promise.all([
        import("../server/config.js"),
        import("../server/logger.js"),
        import("../server/serve.js"),
      ]);
      // Commander turns any set variable on for a boolean, even "false".
      for (const [key, env] of [
        ["pathStyle", "PRESIGND_PATH_STYLE"],
        ["dev", "PRESIGND_DEV"],
      ] as const) {
        if (command.getOptionValueSource(key) !== "cli") {
          const value = parseEnvBoolean(process.env[env], env);
          if (value !== undefined) raw[key] = value;
        }
      }
      const config = parseServeOptions(raw);
      const logger = createLogger(config.logLevel);
      const server = await startServer(config, logger);
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          // A second signal: no more waiting; the shell's code for the signal (130, 143).
          logger.warn({ signal }, "second signal: exiting at once, in-flight requests are cut");
          process.exit(128 + (os.constants.signals[signal] ?? 0));
        }
        stopping = true;
        logger.info({ signal }, "shutting down");
        server.close().then(
          () => {
            logger.info("stopped");
            process.exit(0);
          },
          (error: unknown) => {
            logger.error({ err: error }, "shutdown failed");
            process.exit(1);
          },
        );
      };
      process.on("SIGINT", () => stop("SIGINT"));
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGHUP", () => {
        if (server.reloadPolicy) void server.reloadPolicy();
        else logger.warn("SIGHUP: no --policy file to reload");
      });
    });
}
