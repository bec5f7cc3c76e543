import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  parseAddr,
  parseDuration,
  parseEnvBoolean,
  parseServeOptions,
  type RawServeOptions,
} from "../../src/server/config.js";

const base: RawServeOptions = {
  addr: "127.0.0.1:8080",
  defaultTtl: "15m",
  maxTtl: "7d",
  logLevel: "info",
  logKeys: "hash",
  devDataDir: ".presignd/data",
  devS3Addr: "127.0.0.1:4568",
};

describe("serve configuration", () => {
  it("parses durations", () => {
    assert.equal(parseDuration("15m", "x"), 900);
    assert.equal(parseDuration("1h30m", "x"), 5400);
    assert.equal(parseDuration("7d", "x"), 604800);
    assert.equal(parseDuration("90", "x"), 90);
    for (const bad of ["", "0", "0s", "1x", "m", "-5m"])
      assert.throws(() => parseDuration(bad, "--ttl"), /^ConfigError: --ttl: /);
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
});
