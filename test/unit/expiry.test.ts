import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_TTL_POLICY, MAX_SIGV4_TTL_SECONDS, resolveExpiry } from "../../src/core/expiry.js";
import { PresignError } from "../../src/core/presign-error.js";

const now = new Date("2026-01-01T00:00:00.750Z");
const ttl = (seconds: number, nanos = 0) => ({ seconds: BigInt(seconds), nanos });
const policy = { ...DEFAULT_TTL_POLICY, maxSeconds: 3600 };

describe("resolveExpiry", () => {
  it("uses the default when unset or zero", () => {
    assert.equal(resolveExpiry(undefined, policy, now).expiresInSeconds, 900);
    assert.equal(resolveExpiry(ttl(0), policy, now).expiresInSeconds, 900);
  });

  it("expires_at counts from the whole second that is signed", () => {
    const { expiresAt } = resolveExpiry(ttl(60), policy, now);
    assert.equal(expiresAt.toISOString(), "2026-01-01T00:01:00.000Z");
  });

  it("drops fractions and caps at max TTL and 7 days", () => {
    assert.equal(resolveExpiry(ttl(60, 900_000_000), policy, now).expiresInSeconds, 60);
    assert.equal(resolveExpiry(ttl(7200), policy, now).expiresInSeconds, 3600);
    const open = { ...policy, maxSeconds: 10 * 86400 };
    assert.equal(resolveExpiry(ttl(30 * 86400), open, now).expiresInSeconds, MAX_SIGV4_TTL_SECONDS);
  });

  it("ends before the signing credentials do, minus the skew", () => {
    const expiration = new Date(now.getTime() + 20 * 60_000);
    const capped = resolveExpiry(ttl(3600), policy, now, expiration);
    assert.equal(capped.expiresInSeconds, 15 * 60);
    assert.ok(capped.expiresAt.getTime() <= expiration.getTime() - 5 * 60_000);
    const soon = new Date(now.getTime() + 4 * 60_000);
    assert.throws(
      () => resolveExpiry(ttl(60), policy, now, soon),
      (e: unknown) => e instanceof PresignError && e.reason === "unavailable",
    );
  });

  it("refuses negative, sub-second and malformed durations naming the field", () => {
    for (const [value, message] of [
      [ttl(-1), /^expires_in: must not be negative$/],
      [ttl(0, 5), /^expires_in: must be at least 1s/],
      [ttl(1, -5), /seconds and nanos differ in sign/],
      [ttl(1, 1_000_000_000), /not a valid google\.protobuf\.Duration/],
      [{ seconds: 315_576_000_001n, nanos: 0 }, /not a valid google\.protobuf\.Duration/],
    ] as const) {
      assert.throws(
        () => resolveExpiry(value, policy, now),
        (e: unknown) => e instanceof PresignError && e.reason === "invalid_argument" && message.test(e.message),
      );
    }
  });
});
