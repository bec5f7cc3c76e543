import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Command } from "commander";
import { serveCommand } from "../../src/cli/serve-command.js";
import { settingLayers } from "../../src/cli/serve-options.js";
import {
  parseAddr,
  parseDuration,
  parseEnvBoolean,
  parseServeOptions,
  parseTimeout,
  type RawServeOptions,
} from "../../src/server/config/config.js";
import { rawServeOptions, resolveSettings } from "../../src/server/config/layers.js";
import { SERVE_DEFAULTS } from "../support/serve-options.js";

const base: RawServeOptions = SERVE_DEFAULTS;

describe("serve configuration", () => {
  it("--notification-secret: 16 characters at least, refused without echoing it", () => {
    assert.equal(
      parseServeOptions({ ...base, dev: true, notificationSecret: "x".repeat(16) }).notificationSecret,
      "x".repeat(16),
    );
    assert.equal(parseServeOptions({ ...base, dev: true }).notificationSecret, undefined);
    assert.throws(
      () => parseServeOptions({ ...base, dev: true, notificationSecret: "short-secret" }),
      (error: Error) =>
        error.message ===
          "--notification-secret (PRESIGND_NOTIFICATION_SECRET): must be at least 16 characters (e.g. openssl rand -hex 24)" &&
        !error.message.includes("short-secret"),
    );
  });

  it("parses durations", () => {
    assert.equal(parseDuration("15m", "x"), 900);
    assert.equal(parseDuration("1h30m", "x"), 5400);
    assert.equal(parseDuration("7d", "x"), 604800);
    assert.equal(parseDuration("90", "x"), 90);
    for (const bad of ["", "0", "0s", "1x", "m", "-5m", "1500ms"])
      assert.throws(() => parseDuration(bad, "--ttl"), /^ConfigError: --ttl: /);
  });

  it("parses timeouts to milliseconds", () => {
    assert.equal(parseTimeout("500ms", "x"), 500);
    assert.equal(parseTimeout("10s", "x"), 10_000);
    assert.equal(parseTimeout("1m30s", "x"), 90_000);
    assert.equal(parseTimeout("1s250ms", "x"), 1250);
    assert.equal(parseTimeout("2", "x"), 2000);
    assert.equal(parseTimeout("24d", "x"), 24 * 86_400_000);
    for (const [bad, why] of [
      ["", /is not a duration like 500ms, 10s or 1m/],
      ["0", /must be longer than 0/],
      ["0ms", /must be longer than 0/],
      ["1x", /is not a duration/],
      ["-1s", /is not a duration/],
      ["1.5s", /is not a duration/],
      ["25d", /must be at most 24d/],
    ] as const)
      assert.throws(
        () => parseTimeout(bad, "--idle-timeout"),
        new RegExp(`^ConfigError: --idle-timeout: "${bad}" ${why.source}`),
      );
  });

  it("parses boolean variables strictly", () => {
    assert.equal(parseEnvBoolean(undefined, "X"), undefined);
    assert.equal(parseEnvBoolean("", "X"), undefined);
    assert.equal(parseEnvBoolean("false", "X"), false);
    assert.equal(parseEnvBoolean("0", "X"), false);
    assert.equal(parseEnvBoolean("TRUE", "X"), true);
    assert.throws(
      () => parseEnvBoolean("maybe", "PRESIGND_DEV"),
      /^ConfigError: PRESIGND_DEV: "maybe" is not a boolean/,
    );
  });

  it("parses addresses", () => {
    assert.deepEqual(parseAddr("127.0.0.1:8080", "a"), { host: "127.0.0.1", port: 8080 });
    assert.deepEqual(parseAddr(":9000", "a"), { host: "0.0.0.0", port: 9000 });
    assert.deepEqual(parseAddr("[::1]:80", "a"), { host: "::1", port: 80 });
    for (const bad of ["8080", "host:", "host:99999", "a:b:c"]) assert.throws(() => parseAddr(bad, "--addr"), /--addr/);
  });

  it("dev mode defaults to the dev bucket, us-east-1 and path style", () => {
    const config = parseServeOptions({ ...base, dev: true });
    assert.deepEqual(config.buckets, ["dev"]);
    assert.equal(config.region, "us-east-1");
    assert.equal(config.pathStyle, true);
    assert.deepEqual(config.dev, { dataDir: ".presignd/data", s3Host: "127.0.0.1", s3Port: 4568 });
  });

  it("serves metrics on --metrics-addr; without it, on the main port in --dev only", () => {
    const prod = { ...base, bucket: ["b12"], policy: "p.yaml" };
    assert.equal(parseServeOptions(prod).metrics, undefined);
    assert.equal(parseServeOptions({ ...prod, metricsAddr: " " }).metrics, undefined);
    assert.equal(parseServeOptions({ ...base, dev: true }).metrics, "main-port");
    assert.deepEqual(parseServeOptions({ ...prod, metricsAddr: "127.0.0.1:9464" }).metrics, {
      host: "127.0.0.1",
      port: 9464,
    });
    assert.deepEqual(parseServeOptions({ ...base, dev: true, metricsAddr: ":0" }).metrics, {
      host: "0.0.0.0",
      port: 0,
    });
    assert.throws(
      () => parseServeOptions({ ...prod, metricsAddr: "9464" }),
      /^ConfigError: --metrics-addr \(PRESIGND_METRICS_ADDR\): "9464" is not an address like 127\.0\.0\.1:8080$/,
    );
    assert.throws(
      () => parseServeOptions({ ...prod, metricsAddr: "127.0.0.1:8080" }),
      /^ConfigError: --metrics-addr \(PRESIGND_METRICS_ADDR\): "127\.0\.0\.1:8080" is the --addr \(PRESIGND_ADDR\) address; use another port$/,
    );
  });

  it("names the setting that is wrong", () => {
    assert.throws(() => parseServeOptions(base), /no bucket: pass -b\/--bucket/);
    assert.throws(
      () => parseServeOptions({ ...base, bucket: ["Bad_Bucket"] }),
      /--bucket \(PRESIGND_BUCKET\): "Bad_Bucket"/,
    );
    assert.throws(() => parseServeOptions({ ...base, bucket: ["b12"], maxTtl: "8d" }), /--max-ttl .* at most 7d/);
    assert.throws(
      () => parseServeOptions({ ...base, bucket: ["b12"], defaultTtl: "2h", maxTtl: "1h" }),
      /--default-ttl .* longer than --max-ttl/,
    );
    assert.throws(
      () => parseServeOptions({ ...base, bucket: ["b12"], endpoint: "ftp://x" }),
      /--endpoint .* http or https/,
    );
    assert.throws(() => parseServeOptions({ ...base, bucket: ["b12"], logKeys: "all" }), /--log-keys/);
    assert.throws(() => parseServeOptions({ ...base, dev: true, endpoint: "http://x" }), /--dev runs its own S3/);
    assert.throws(
      () => parseServeOptions({ ...base, bucket: ["b12"] }),
      /no caller authentication: pass --policy FILE/,
    );
    assert.throws(
      () => parseServeOptions({ ...base, dev: true, addr: "0.0.0.0:8080" }),
      /--dev without --policy authenticates nobody/,
    );
  });

  it("keeps buckets in order, first is the default, duplicates dropped", () => {
    const config = parseServeOptions({
      ...base,
      bucket: ["one", "two", "one"],
      endpoint: "https://nyc3.digitaloceanspaces.com/",
      policy: "policy.yaml",
    });
    assert.deepEqual(config.buckets, ["one", "two"]);
    assert.equal(config.endpoint, "https://nyc3.digitaloceanspaces.com");
  });

  it("connection limits default to 10s, 30s, 60s, 10000 connections and 100 streams", async () => {
    assert.deepEqual(parseServeOptions({ ...base, dev: true }).limits, {
      headerTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      idleTimeoutMs: 60_000,
      maxConnections: 10_000,
      maxConcurrentStreams: 100,
    });
    // The CLI's defaults are the same values.
    assert.deepEqual(
      parseServeOptions(await serveFlags(["--dev"])).limits,
      parseServeOptions({ ...base, dev: true }).limits,
    );
  });

  it("shutdown: --drain-delay 5s (0s with --dev) and --shutdown-timeout 30s; flags over env; bad values named", async () => {
    const prod = { ...base, bucket: ["b12"], policy: "p.yaml" };
    assert.deepEqual(parseServeOptions(await serveFlags(["-b", "b12", "--policy", "p.yaml"])).shutdown, {
      drainDelayMs: 5000,
      timeoutMs: 30_000,
    });
    assert.deepEqual(parseServeOptions(await serveFlags(["--dev"])).shutdown, { drainDelayMs: 0, timeoutMs: 30_000 });
    const env = { PRESIGND_DRAIN_DELAY: "2s", PRESIGND_SHUTDOWN_TIMEOUT: "1m" };
    assert.deepEqual(parseServeOptions(await serveFlags(["--dev"], env)).shutdown, {
      drainDelayMs: 2000,
      timeoutMs: 60_000,
    });
    assert.deepEqual(parseServeOptions(await serveFlags(["--dev", "--drain-delay", "1500ms"], env)).shutdown, {
      drainDelayMs: 1500,
      timeoutMs: 60_000,
    });
    assert.equal(parseServeOptions({ ...prod, drainDelay: "0s" }).shutdown.drainDelayMs, 0);
    assert.throws(
      () => parseServeOptions({ ...prod, drainDelay: "soon" }),
      /^ConfigError: --drain-delay \(PRESIGND_DRAIN_DELAY\): /,
    );
    assert.throws(() => parseServeOptions({ ...prod, drainDelay: "25d" }), /--drain-delay .*at most 24d/);
    for (const bad of ["0s", "-1s", "x"])
      assert.throws(
        () => parseServeOptions({ ...prod, shutdownTimeout: bad }),
        /^ConfigError: --shutdown-timeout \(PRESIGND_SHUTDOWN_TIMEOUT\): /,
      );
  });

  it("connection limits come from flags, over PRESIGND_* variables", async () => {
    const env = {
      PRESIGND_HEADER_TIMEOUT: "2s",
      PRESIGND_REQUEST_TIMEOUT: "1m",
      PRESIGND_IDLE_TIMEOUT: "750ms",
      PRESIGND_MAX_CONNECTIONS: "500",
      PRESIGND_MAX_CONCURRENT_STREAMS: "32",
    };
    assert.deepEqual(parseServeOptions(await serveFlags(["--dev"], env)).limits, {
      headerTimeoutMs: 2000,
      requestTimeoutMs: 60_000,
      idleTimeoutMs: 750,
      maxConnections: 500,
      maxConcurrentStreams: 32,
    });
    const flags = ["--dev", "--header-timeout", "3s", "--max-connections", "7", "--max-concurrent-streams", "9"];
    assert.deepEqual(parseServeOptions(await serveFlags(flags, env)).limits, {
      headerTimeoutMs: 3000,
      requestTimeoutMs: 60_000,
      idleTimeoutMs: 750,
      maxConnections: 7,
      maxConcurrentStreams: 9,
    });
  });

  it("names the connection limit that is wrong", () => {
    const dev = { ...base, dev: true };
    for (const [raw, message] of [
      [{ headerTimeout: "soon" }, /^--header-timeout \(PRESIGND_HEADER_TIMEOUT\): "soon" is not a duration/],
      [{ requestTimeout: "0" }, /^--request-timeout \(PRESIGND_REQUEST_TIMEOUT\): "0" must be longer than 0/],
      [{ idleTimeout: "30d" }, /^--idle-timeout \(PRESIGND_IDLE_TIMEOUT\): "30d" must be at most 24d/],
      [{ maxConnections: "0" }, /^--max-connections \(PRESIGND_MAX_CONNECTIONS\): "0" is not a whole number from 1/],
      [{ maxConnections: "ten" }, /^--max-connections \(PRESIGND_MAX_CONNECTIONS\): "ten" is not a whole number/],
      [{ maxConnections: "1.5" }, /^--max-connections \(PRESIGND_MAX_CONNECTIONS\): "1.5" is not a whole number/],
      [
        { maxConcurrentStreams: "4294967296" },
        /^--max-concurrent-streams \(PRESIGND_MAX_CONCURRENT_STREAMS\): "4294967296" is not a whole number from 1 to 4294967295$/,
      ],
      [
        { headerTimeout: "40s", requestTimeout: "30s" },
        /^--header-timeout \(PRESIGND_HEADER_TIMEOUT\) is longer than --request-timeout \(PRESIGND_REQUEST_TIMEOUT\)$/,
      ],
    ] as const)
      assert.throws(
        () => parseServeOptions({ ...dev, ...raw }),
        (error: Error) => error.name === "ConfigError" && message.test(error.message),
      );
  });

  it("CORS: no headers outside --dev without --cors-origin; --dev allows localhost; origins from flags and env", async () => {
    const production = { ...base, bucket: ["media"], policy: "policy.yaml" };
    assert.equal(parseServeOptions(production).cors, undefined);
    assert.deepEqual(parseServeOptions({ ...base, dev: true }).cors, {
      origins: [],
      anyOrigin: false,
      localhost: true,
    });
    assert.deepEqual(
      parseServeOptions({ ...production, corsOrigin: ["https://App.Example.com", "http://a.test:8443/"] }).cors,
      {
        origins: ["https://app.example.com", "http://a.test:8443"],
        anyOrigin: false,
        localhost: false,
      },
    );
    assert.deepEqual(parseServeOptions({ ...base, dev: true, corsOrigin: ["*"] }).cors, {
      origins: [],
      anyOrigin: true,
      localhost: true,
    });
    const env = { PRESIGND_CORS_ORIGIN: "https://a.test,https://b.test" };
    assert.deepEqual(parseServeOptions(await serveFlags(["--dev"], env)).cors?.origins, [
      "https://a.test",
      "https://b.test",
    ]);
    const flags = ["--dev", "--cors-origin", "https://c.test", "--cors-origin", "https://d.test"];
    assert.deepEqual(parseServeOptions(await serveFlags(flags, env)).cors?.origins, [
      "https://c.test",
      "https://d.test",
    ]);
  });

  it("CORS: refuses * outside --dev and origins that are not scheme://host[:port], naming the flag", () => {
    const production = { ...base, bucket: ["media"], policy: "policy.yaml" };
    for (const [origin, message] of [
      ["*", /^--cors-origin \(PRESIGND_CORS_ORIGIN\): "\*" .* allowed only with --dev/],
      ["app.example.com", /^--cors-origin \(PRESIGND_CORS_ORIGIN\): "app.example.com" is not an origin/],
      ["ftp://files.test", /: "ftp:\/\/files.test" must be an http or https origin$/],
      ["https://app.test/path", /: "https:\/\/app.test\/path" must be scheme:\/\/host\[:port\] only/],
      ["https://u:p@app.test", /must be scheme:\/\/host\[:port\] only/],
      ["https://app.test?x=1", /must be scheme:\/\/host\[:port\] only/],
      ["https://app.test:443", /must be written as browsers send it: https:\/\/app.test$/],
    ] as const)
      assert.throws(
        () => parseServeOptions({ ...production, corsOrigin: [origin] }),
        (error: Error) => error.name === "ConfigError" && message.test(error.message),
        origin,
      );
  });

  it("--trusted-proxies is a flag, as the README says, and PRESIGND_TRUSTED_PROXIES its variable", async () => {
    const flag = parseServeOptions(await serveFlags(["--dev", "--trusted-proxies", "10.0.0.0/8"]));
    assert.ok(flag.trustedProxies, "the flag sets trusted proxies");
    const env = parseServeOptions(await serveFlags(["--dev"], { PRESIGND_TRUSTED_PROXIES: "127.0.0.1/32" }));
    assert.ok(env.trustedProxies, "the variable sets trusted proxies");
    assert.throws(
      () => parseServeOptions({ ...base, dev: true, trustedProxies: "not-a-cidr" }),
      /^ConfigError: --trusted-proxies \(PRESIGND_TRUSTED_PROXIES\): /,
    );
  });
});

/** What `presignd serve ARGS` hands to parseServeOptions, with these PRESIGND_* variables set. */
async function serveFlags(args: string[], env: Record<string, string> = {}): Promise<RawServeOptions> {
  let command: Command | undefined;
  serveCommand()
    .exitOverride()
    .action((_options: unknown, parsed: Command) => {
      command = parsed;
    })
    .parse(args, { from: "user" });
  const layers = await settingLayers(command ?? assert.fail("serve did not run"), env);
  return rawServeOptions(resolveSettings(layers));
}
