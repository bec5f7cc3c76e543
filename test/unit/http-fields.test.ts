import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, it } from "node:test";
import { checkBase64Digest, checkContentType, metadataHeaders } from "../../src/core/http-fields.js";

describe("header field checks", () => {
  it("accepts real media types and refuses others", () => {
    for (const ok of [
      "image/png",
      "text/plain; charset=utf-8",
      'multipart/form-data; boundary="a b"',
      "application/vnd.api+json",
    ]) {
      assert.equal(checkContentType(ok, "content_type"), ok);
    }
    for (const bad of ["", "text", "text/", "text/plain;", "text/plain\r\nx-evil: 1", "a b/c"]) {
      assert.throws(() => checkContentType(bad, "content_type"), /^PresignError: content_type: /);
    }
  });

  it("accepts canonical base64 digests of the right size only", () => {
    const md5 = createHash("md5").update("x").digest("base64");
    assert.equal(checkBase64Digest(md5, 16, "content_md5"), md5);
    assert.throws(
      () => checkBase64Digest(md5, 32, "checksum_sha256"),
      /checksum_sha256: must be the base64 of a 32-byte digest/,
    );
    assert.throws(() => checkBase64Digest(`${md5.slice(0, -2)}=`, 16, "content_md5"));
    assert.throws(() => checkBase64Digest(md5.replace(/=+$/, ""), 16, "content_md5"));
  });

  it("maps metadata to sorted x-amz-meta-* headers within S3's 2 KB", () => {
    assert.deepEqual(metadataHeaders({ b: "2", a: "1" }), [
      ["x-amz-meta-a", "1"],
      ["x-amz-meta-b", "2"],
    ]);
    assert.throws(() => metadataHeaders({ "": "x" }), /names are lower-case/);
    assert.throws(() => metadataHeaders({ "a b": "x" }), /names are lower-case/);
    assert.throws(() => metadataHeaders({ a: " padded" }), /white space/);
    assert.throws(() => metadataHeaders({ a: "tab\there" }), /printable ASCII/);
    assert.doesNotThrow(() => metadataHeaders({ a: "x".repeat(2047) }));
    assert.throws(() => metadataHeaders({ a: "x".repeat(2048) }), /is 2049 bytes/);
  });
});
