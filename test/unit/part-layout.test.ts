import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { checkPart, MAX_PARTS, MIN_PART_BYTES, planParts } from "../../src/core/presign-multipart.js";

const MiB = 1024 * 1024;

describe("multipart part layout", () => {
  it("chooses 8 MiB parts, or whole MiB large enough for 10,000 parts", () => {
    assert.deepEqual(planParts(1), { maxSize: 1, partSize: 8 * MiB, maxParts: 1 });
    assert.deepEqual(planParts(100 * MiB), { maxSize: 100 * MiB, partSize: 8 * MiB, maxParts: 13 });
    const huge = planParts(5 * 1024 ** 4);
    assert.equal(huge.partSize, 525 * MiB);
    assert.ok(huge.maxParts <= MAX_PARTS);
  });

  it("whatever valid parts are presigned, they add up to at most max_size", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 * MiB }),
        fc.integer({ min: MIN_PART_BYTES, max: 64 * MiB }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 64 * MiB })), { maxLength: 80 }),
        (maxSize, partSize, wanted) => {
          let layout: ReturnType<typeof planParts>;
          try {
            layout = planParts(maxSize, partSize);
          } catch {
            return true;
          }
          // The largest part of each number the layout lets through (a caller keeps the last one S3 got).
          const largest = new Map<number, number>();
          for (const [n, length] of wanted) {
            try {
              checkPart(layout, n, length, "parts[0]");
            } catch {
              continue;
            }
            largest.set(n, Math.max(largest.get(n) ?? 0, length));
          }
          const total = [...largest.values()].reduce((a, b) => a + b, 0);
          return total <= maxSize;
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("the exact layout of a file is accepted part by part", () => {
    const size = 21 * MiB + 7;
    const layout = planParts(size, 5 * MiB);
    assert.equal(layout.maxParts, 5);
    for (let n = 1; n <= 5; n++) checkPart(layout, n, Math.min(5 * MiB, size - (n - 1) * 5 * MiB), "p");
    assert.throws(() => checkPart(layout, 5, MiB + 8, "parts[2]"), {
      message: "parts[2].content_length: must be 1 to 1048583 bytes for part 5 of this upload, got 1048584",
    });
  });
});
