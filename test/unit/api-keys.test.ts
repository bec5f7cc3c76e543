import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import type { KeyHolder } from "../../src/server/access/policy-file.js";
import { findKeyHolder } from "../../src/server/auth/api-keys.js";

const digest = (key: string) => createHash("sha256").update(key).digest();

// Timing is not measured here (that would be a flaky test); what makes the
// comparison constant-time is checked instead: the presented key is hashed,
// and every stored digest is compared, whether or not one matched already.
describe("API key lookup", () => {
  function holders(reads: string[]): KeyHolder[] {
    return ["a", "b", "c"].map((name) => ({
      name,
      groups: [],
      apiKeySha256: new Proxy([digest(`${name}-1`), digest(`${name}-2`)], {
        get(target, prop, receiver) {
          if (typeof prop === "string" && /^\d+$/.test(prop)) reads.push(`${name}[${prop}]`);
          return Reflect.get(target, prop, receiver);
        },
      }),
    }));
  }

  it("finds the holder and still compares every stored digest", () => {
    for (const [presented, owner] of [
      ["a-1", "a"],
      ["c-2", "c"],
      ["nobody", undefined],
    ] as const) {
      const reads: string[] = [];
      assert.equal(findKeyHolder(holders(reads), presented)?.name, owner);
      assert.deepEqual(reads, ["a[0]", "a[1]", "b[0]", "b[1]", "c[0]", "c[1]"], presented);
    }
  });

  it("treats keys of any length or content alike (hashed before comparing)", () => {
    const reads: string[] = [];
    for (const presented of ["", "x".repeat(10_000), "a-1\u0000", "A-1"]) {
      assert.equal(findKeyHolder(holders(reads), presented), undefined);
    }
  });
});
