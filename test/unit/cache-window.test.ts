import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BucketEndpoint } from "../../src/core/bucket-endpoint.js";
import { cacheWindowStart, resolveCacheWindow } from "../../src/core/cache-window.js";
import { DEFAULT_TTL_POLICY, resolveExpiry } from "../../src/core/expiry.js";
import { PresignError } from "../../src/core/presign-error.js";
import { presignGet } from "../../src/core/presign-get.js";
import { presignHead } from "../../src/core/presign-head.js";
import { createPresigner, type SigningContext } from "../../src/core/signer.js";

const endpoint: BucketEndpoint = {
  bucket: "b",
  region: "eu-west-1",
  protocol: "https:",
  hostname: "b.s3.eu-west-1.amazonaws.com",
  pathPrefix: "",
};
const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
const policy = { ...DEFAULT_TTL_POLICY, maxSeconds: 3600 };
const at = (iso: string, presigner = createPresigner(credentials)): SigningContext => ({
  presigner,
  credentials,
  now: new Date(iso),
  ttl: policy,
});
const seconds = (s: number, nanos = 0) => ({ seconds: BigInt(s), nanos });
const refusedWith = (reason: string, message: RegExp) => (e: unknown) =>
  e instanceof PresignError && e.reason === reason && message.test(e.message);

describe("cache windows", () => {
  it("floor the time to an epoch-aligned, whole-second window start", () => {
    assert.equal(cacheWindowStart(new Date("2026-01-01T10:07:59.999Z"), 300).toISOString(), "2026-01-01T10:05:00.000Z");
    assert.equal(cacheWindowStart(new Date("2026-01-01T10:05:00.000Z"), 300).toISOString(), "2026-01-01T10:05:00.000Z");
    // 7 s windows: multiples of 7 s since 1970, not of the minute.
    const start = cacheWindowStart(new Date("2026-01-01T10:05:00.000Z"), 7);
    assert.equal((start.getTime() / 1000) % 7, 0);
    assert.ok(start.getTime() <= Date.parse("2026-01-01T10:05:00.000Z"));
  });

  it("sign as of the window start, with the lifetime counted from it", () => {
    const expiry = resolveExpiry(
      seconds(900),
      policy,
      new Date("2026-01-01T10:07:30.250Z"),
      undefined,
      "expires_in",
      300,
    );
    assert.equal(expiry.signedAt.toISOString(), "2026-01-01T10:05:00.000Z");
    assert.equal(expiry.expiresInSeconds, 900);
    assert.equal(expiry.expiresAt.toISOString(), "2026-01-01T10:20:00.000Z");
  });

  it("leave at least lifetime - window + 1 s, at the last second of a window", () => {
    const now = new Date("2026-01-01T10:09:59.999Z");
    const expiry = resolveExpiry(seconds(900), policy, now, undefined, "expires_in", 300);
    const left = (expiry.expiresAt.getTime() - Math.floor(now.getTime() / 1000) * 1000) / 1000;
    assert.equal(left, 900 - 300 + 1);
    // A window as long as the lifetime still leaves a second.
    const whole = resolveExpiry(seconds(300), policy, now, undefined, "expires_in", 300);
    assert.ok(whole.expiresAt.getTime() > now.getTime());
  });

  it("refuse a window longer than the lifetime in force (requested, default or capped)", () => {
    const now = new Date("2026-01-01T10:00:00Z");
    const longer = refusedWith("invalid_argument", /^cache_window: 5m is longer than the URL's lifetime of 1m/);
    assert.throws(() => resolveExpiry(seconds(60), policy, now, undefined, "expires_in", 300), longer);
    const short = { ...policy, defaultSeconds: 60 };
    assert.throws(() => resolveExpiry(undefined, short, now, undefined, "expires_in", 300), longer);
    const capped = { ...policy, maxSeconds: 60 };
    assert.throws(() => resolveExpiry(seconds(3600), capped, now, undefined, "expires_in", 300), longer);
  });

  it("keep the URL ending skew before the credentials, counted from the window start", () => {
    const now = new Date("2026-01-01T10:07:30Z");
    const expiration = new Date("2026-01-01T10:30:00Z");
    const expiry = resolveExpiry(seconds(3600), policy, now, expiration, "expires_in", 600);
    assert.equal(expiry.signedAt.toISOString(), "2026-01-01T10:00:00.000Z");
    assert.equal(expiry.expiresAt.toISOString(), "2026-01-01T10:25:00.000Z");
    // Later in the same window, the same (capped) lifetime: the URL stays byte-identical.
    const later = resolveExpiry(seconds(3600), policy, new Date("2026-01-01T10:09:59Z"), expiration, "expires_in", 600);
    assert.equal(later.expiresInSeconds, expiry.expiresInSeconds);
    const soon = new Date("2026-01-01T10:12:00Z");
    assert.throws(
      () => resolveExpiry(seconds(3600), policy, now, soon, "expires_in", 600),
      refusedWith("unavailable", /credentials expire too soon/),
    );
  });

  it("are the request's, else the rule's; longer than the rule's or sub-second is refused", () => {
    assert.equal(resolveCacheWindow(undefined, undefined), undefined);
    assert.equal(resolveCacheWindow(undefined, 300), 300);
    assert.equal(resolveCacheWindow(seconds(60), 300), 60);
    assert.equal(resolveCacheWindow(seconds(1800), undefined), 1800);
    assert.throws(
      () => resolveCacheWindow(seconds(600), 300),
      refusedWith("invalid_argument", /^cache_window: 10m is longer than the 5m the allowing rule permits$/),
    );
    assert.throws(
      () => resolveCacheWindow(seconds(60, 500_000_000), undefined),
      refusedWith("invalid_argument", /^cache_window: must be whole seconds$/),
    );
  });

  it("give byte-identical URLs within a window, from any signer with the same credentials", async () => {
    const input = { key: "photos/cat.jpg", overrides: { contentType: "image/jpeg" }, cacheWindowSeconds: 300 };
    const first = await presignGet(endpoint, input, at("2026-01-01T10:05:00.000Z"));
    const again = await presignGet(
      endpoint,
      input,
      at("2026-01-01T10:09:59.999Z", createPresigner({ ...credentials })),
    );
    assert.equal(again.url, first.url);
    assert.equal(again.expiresAt.getTime(), first.expiresAt.getTime());
    const url = new URL(first.url);
    assert.equal(url.searchParams.get("X-Amz-Date"), "20260101T100500Z");
    assert.equal(url.searchParams.get("X-Amz-Expires"), "900");
    const next = await presignGet(endpoint, input, at("2026-01-01T10:10:00.000Z"));
    assert.notEqual(next.url, first.url);
    assert.equal(new URL(next.url).searchParams.get("X-Amz-Date"), "20260101T101000Z");
    // Without a window, two seconds of one window sign two different URLs.
    const { cacheWindowSeconds: _, ...fresh } = input;
    const a = await presignGet(endpoint, fresh, at("2026-01-01T10:05:00Z"));
    const b = await presignGet(endpoint, fresh, at("2026-01-01T10:05:01Z"));
    assert.notEqual(a.url, b.url);
  });

  it("apply to HEAD as to GET", async () => {
    const head = await presignHead(endpoint, { key: "k", cacheWindowSeconds: 60 }, at("2026-01-01T10:05:59Z"));
    assert.equal(new URL(head.url).searchParams.get("X-Amz-Date"), "20260101T100500Z");
    assert.equal(head.expiresAt.toISOString(), "2026-01-01T10:20:00.000Z");
  });
});
