import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { checkObjectKey } from "../../src/core/object-key.js";
import { PresignError } from "../../src/core/presign-error.js";

describe("checkObjectKey", () => {
  it("returns keys unchanged, without normalising Unicode", () => {
    for (const key of [
      "a",
      "a b+c=d?e#f%g",
      "Zoe\u0308",
      "Zoë",
      "😀",
      "a//b",
      "trailing/",
      "/leading",
      "...",
      ".hidden",
      "a/.b/c",
    ]) {
      assert.equal(checkObjectKey(key), key);
    }
  });

  it("refuses empty, oversized, control, lone-surrogate and dot-segment keys with the field name", () => {
    const cases: [string, RegExp][] = [
      ["", /^key: must not be empty$/],
      ["x".repeat(1025), /^key: is 1025 bytes/],
      ["a\u0000b", /control characters/],
      ["a\u007fb", /control characters/],
      ["a\ud83d", /lone surrogate/],
      [".", /"\." path segment/],
      ["..", /"\.\." path segment/],
      ["a/../b", /"\.\." path segment/],
      ["a/./b", /"\." path segment/],
      ["a/..", /"\.\." path segment/],
    ];
    for (const [key, message] of cases) {
      assert.throws(
        () => checkObjectKey(key),
        (e: unknown) => e instanceof PresignError && e.reason === "invalid_argument" && message.test(e.message),
      );
    }
    assert.throws(() => checkObjectKey("", "key_prefix"), /^PresignError: key_prefix: must not be empty$/);
  });

  it("accepts exactly 1024 bytes of multi-byte UTF-8", () => {
    assert.equal(checkObjectKey("é".repeat(512)).length, 512);
    assert.throws(() => checkObjectKey(`${"é".repeat(512)}x`));
  });

  it("never throws anything but a PresignError, and accepts what it returns", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (key) => {
        try {
          assert.equal(checkObjectKey(key), key);
          assert.ok(Buffer.byteLength(key) <= 1024 && key.length > 0);
          assert.ok(!key.split("/").some((s) => s === "." || s === ".."));
        } catch (error) {
          assert.ok(error instanceof PresignError, String(error));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
