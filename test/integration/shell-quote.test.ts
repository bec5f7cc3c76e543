import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { shellQuote } from "../../src/cli/shell-quote.js";
import { run } from "../support/run.js";

describe("shellQuote", () => {
  it("bash reads every quoted word back as it was (fast-check, one bash for all)", async () => {
    const words = fc.sample(
      fc.oneof(
        fc.string({ unit: "grapheme", maxLength: 30 }),
        fc.string({ unit: fc.constantFrom(..."'\"$`\\;&|<>(){}[]*?!~#% \t=,:@^"), maxLength: 12 }),
      ),
      { numRuns: 400, seed: 20261201 },
    );
    // NUL cannot be in an argument; bash reads everything else literally inside single quotes.
    const corpus = [...words, "", "'", "''", "${filename}", "-n", "=x", "a\nb"].filter((w) => !w.includes("\0"));
    const script = corpus.map((word) => `printf '%s\\0' ${shellQuote(word)}`).join("\n");
    const res = await run("bash", ["-c", script]);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(res.stdout.toString().split("\0").slice(0, -1), corpus);
  });

  it("leaves plain words bare and quotes the rest", () => {
    assert.equal(shellQuote("-sS"), "-sS");
    assert.equal(shellQuote("https://h/k?X-Amz-Date=1"), "'https://h/k?X-Amz-Date=1'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote(""), "''");
  });
});
