import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { connectGetMessageProblem } from "../../src/server/transport/connect-patches/connect-get-message.js";

const get = (query: string) => connectGetMessageProblem(`/presign.v1.PresignService/GetObject?connect=v1&${query}`);

describe("Connect GET message checks (as connect-es reads the query)", () => {
  it("accepts what connect-es decodes faithfully", () => {
    assert.equal(get(`encoding=json&message=${encodeURIComponent('{"key":"ümlaut/✓ a+b"}')}`), undefined);
    assert.equal(get("encoding=json&message=%7B%7D+"), undefined); // "+" is a space, as URLSearchParams reads it
    for (const base64 of ["", "QQ", "QQ==", "QUI", "QUI=", "-_8", "%2B%2F8"]) {
      assert.equal(get(`encoding=proto&base64=1&message=${base64}`), undefined, base64);
    }
    assert.equal(get("encoding=json"), undefined); // no message: connect-es's own default
  });
  it("reads the parameter connect-es reads: the first, whatever its name's spelling", () => {
    assert.match(get("encoding=json&mess%61ge=%ZZ") ?? "", /^message: is not valid percent-encoding/);
    assert.equal(get("encoding=json&message=%7B%7D&message=%ZZ"), undefined);
  });
  it("refuses base64 that protobuf-es would decode to other bytes or refuse", () => {
    for (const base64 of ["Q", "QUJDR", "Q===", "QQ=A", "Q Q", "QQ+", "QQ*"]) {
      assert.match(get(`encoding=proto&base64=1&message=${base64}`) ?? "", /^message: is not valid base64/, base64);
    }
  });
  it("names the JSON member, or the message, when percent-decoded bytes are not UTF-8", () => {
    assert.equal(get("encoding=json&message=%7B%22key%22%3A%22%C3%22%7D"), "key: is not valid UTF-8");
    assert.equal(get("encoding=json&message=%C3"), "message: is not valid UTF-8");
    assert.equal(
      get("encoding=json&compression=gzip&message=%1F%8B"),
      "message: is not UTF-8 once percent-decoded (send binary messages with base64=1)",
    );
  });
});
