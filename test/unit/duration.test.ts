import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DurationError, formatDuration, parseDurationSeconds } from "../../src/core/duration.js";

describe("durations (server settings and CLI --ttl)", () => {
  it("parses the grammar", () => {
    const cases: [string, number][] = [
      ["90s", 90],
      ["15m", 900],
      ["1h", 3600],
      ["1h30m", 5400],
      ["7d", 604800],
      ["1d2h3m4s", 93784],
      ["90", 90],
      [" 2m ", 120],
    ];
    for (const [text, seconds] of cases) assert.equal(parseDurationSeconds(text), seconds, text);
  });

  it("refuses what is not a duration, quoting the value", () => {
    for (const bad of ["", "m", "1x", "-5m", "1.5h", "30m1h", "1h 30m", "soon"]) {
      assert.throws(
        () => parseDurationSeconds(bad),
        (e: unknown) => {
          assert.ok(e instanceof DurationError);
          assert.equal(e.message, `"${bad}" is not a duration like 15m, 1h, 90s or 7d`);
          return true;
        },
      );
    }
    for (const zero of ["0", "0s", "0h0m"]) {
      assert.throws(() => parseDurationSeconds(zero), {
        name: "DurationError",
        message: `"${zero}" must be at least 1s`,
      });
    }
    assert.throws(() => parseDurationSeconds("99999999999999999999"), { message: /is too long/ });
  });

  it("formats seconds in the same grammar, and round-trips", () => {
    assert.equal(formatDuration(5400), "1h30m");
    assert.equal(formatDuration(604800), "7d");
    assert.equal(formatDuration(59), "59s");
    assert.equal(formatDuration(0), "0s");
    for (const seconds of [1, 61, 3599, 3601, 86_399, 90_061, 604_800]) {
      assert.equal(parseDurationSeconds(formatDuration(seconds)), seconds);
    }
  });
});
