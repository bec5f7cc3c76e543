import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { describeNotUtf8Json, strictJsonTextDecoder } from "../../src/server/transport/connect-patches/json-utf8.js";

const NOT_UTF8 = Buffer.from([0xc3, 0x28]); // a two-byte sequence cut short
/** A JSON document with bytes that are not UTF-8 where `@` stands. */
const bad = (template: string) =>
  Buffer.concat(
    template.split("@").flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [NOT_UTF8, Buffer.from(part)])),
  );

describe("JSON that is not UTF-8", () => {
  it("names the first member holding the bad bytes, as written in the document", () => {
    const cases: [string, string][] = [
      ['{"key": "@"}', "key: is not valid UTF-8"],
      ['{"requests": [{"key": "ok"}, {"key": "a@b"}]}', "requests[1].key: is not valid UTF-8"],
      ['{"metadata": {"x-owner": "@"}}', 'metadata["x-owner"]: is not valid UTF-8'],
      ['[1, ["@"]]', "[1][0]: is not valid UTF-8"],
      ['"@"', "body: is not valid UTF-8"],
      ['{"metadata": {"@": "x"}}', "metadata: has a member name that is not valid UTF-8"],
      ['{"key": @}', "body: is not valid UTF-8"],
      ['{"key": "\\@"}', "body: is not valid UTF-8"],
      ['{"a": "\u{fffd}", "key": "@"}', "body: is not valid UTF-8"],
    ];
    for (const [json, expected] of cases) assert.equal(describeNotUtf8Json(bad(json), "body"), expected, json);
  });
  it("survives deep nesting (no recursion)", () => {
    const depth = 200_000;
    const bytes = bad(`${"[".repeat(depth)}"@"${"]".repeat(depth)}`);
    assert.match(describeNotUtf8Json(bytes, "body"), /: is not valid UTF-8$/);
  });
  it("the decoder passes UTF-8 through and refuses the rest as invalid_argument", () => {
    assert.equal(strictJsonTextDecoder.decode(Buffer.from('{"key": "ümlaut/✓"}')), '{"key": "ümlaut/✓"}');
    assert.throws(
      () => strictJsonTextDecoder.decode(bad('{"key": "@"}')),
      (e: unknown) =>
        e instanceof ConnectError && e.rawMessage === "key: is not valid UTF-8" && e.code === Code.InvalidArgument,
    );
  });
});
