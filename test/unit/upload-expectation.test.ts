import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { unmetConditions } from "../../src/core/policy/policy.js";
import { PresignError } from "../../src/core/presign-error.js";
import { callerExpectation, type ObjectFacts, verifyObject } from "../../src/core/upload-expectation.js";

const object: ObjectFacts = {
  size: 11n,
  // MD5 of "hello world"
  etag: '"5eb63bbbe01eeed093cb22bb8f5acdc3"',
  contentType: "text/plain",
  metadata: { owner: "alice" },
};
const mismatch = (fn: () => unknown, message: string) =>
  assert.throws(
    fn,
    (e: unknown) => e instanceof PresignError && e.reason === "failed_precondition" && e.message === message,
  );

describe("verifyObject", () => {
  it("passes what matches and names what it checked", () => {
    const checks = verifyObject(
      object,
      {
        minLength: 11n,
        maxLength: 11n,
        contentType: "text/plain",
        contentMd5: "XrY7u+Ae7tCTyyK7j1rNww==",
        metadata: { owner: "alice" },
      },
      "signed",
    );
    assert.deepEqual(checks, {
      verified: ["content_length", "content_type", "content_md5", "metadata.owner"],
      unverified: [],
    });
  });

  it("names the first property that differs, and where the expectation came from", () => {
    mismatch(
      () => verifyObject(object, { minLength: 12n, maxLength: 12n }, "signed"),
      "content_length: the object has 11 bytes, not 12 (signed)",
    );
    mismatch(
      () => verifyObject(object, { minLength: 20n, maxLength: 30n }, "signed"),
      "content_length: the object has 11 bytes, fewer than 20 (signed)",
    );
    mismatch(
      () => verifyObject(object, { maxLength: 10n }, "x"),
      "content_length: the object has 11 bytes, more than 10 (x)",
    );
    mismatch(
      () => verifyObject(object, { contentType: "image/", contentTypeIsPrefix: true }, "signed"),
      'content_type: the object\'s type is "text/plain", not a type starting with "image/" (signed)',
    );
    mismatch(
      () => verifyObject(object, { contentMd5: "1B2M2Y8AsgTpgAmY7PhCfg==" }, "signed"),
      "content_md5: the object's ETag is not the MD5 of the body signed (signed)",
    );
    mismatch(
      () => verifyObject(object, { metadata: { owner: "bob" } }, "expected"),
      "metadata.owner: the object's value differs (expected)",
    );
    mismatch(
      () => verifyObject(object, { metadataNames: ["team"] }, "expected"),
      "metadata.team: the object has no such metadata (expected)",
    );
  });

  it("reports as unverified what the store does not report: a multipart ETag's MD5, a missing checksum", () => {
    const multipart = { ...object, etag: '"0123456789abcdef0123456789abcdef-2"' };
    const checks = verifyObject(
      multipart,
      { contentMd5: "XrY7u+Ae7tCTyyK7j1rNww==", checksumSha256: "x".repeat(44) },
      "signed",
    );
    assert.deepEqual(checks, { verified: [], unverified: ["content_md5", "checksum_sha256"] });
    const withSum = { ...object, checksumSha256: `${"a".repeat(43)}=` };
    mismatch(
      () => verifyObject(withSum, { checksumSha256: `${"b".repeat(43)}=` }, "signed"),
      "checksum_sha256: the store reports another SHA-256 checksum (signed)",
    );
  });

  it("checks a caller's expectations like the signing RPCs check the same fields", () => {
    assert.throws(
      () => callerExpectation({ contentType: "", contentMd5: "nope", checksumSha256: "", metadata: {} }, "expect"),
      /^PresignError: expect\.content_md5: /,
    );
    assert.deepEqual(
      callerExpectation(
        { contentLength: 3n, contentType: "", contentMd5: "", checksumSha256: "", metadata: {} },
        "expect",
      ),
      { minLength: 3n, maxLength: 3n },
    );
  });
});

describe("unmetConditions: a rule's conditions on an object", () => {
  const rule = { maxContentLength: 10n, contentTypes: ["image/*"], requiredMetadata: ["owner"] };
  it("applies size, type and metadata to the object found", () => {
    assert.equal(
      unmetConditions(rule, { contentLength: 10n, contentType: "image/png", metadataNames: ["owner"] }),
      undefined,
    );
    assert.equal(
      unmetConditions(rule, { contentLength: 11n, contentType: "image/png", metadataNames: ["owner"] }),
      "content length above 10 bytes",
    );
    assert.equal(
      unmetConditions(rule, { contentLength: 1n, contentType: "text/plain", metadataNames: ["owner"] }),
      "content type must be one of image/*",
    );
    assert.equal(
      unmetConditions(rule, { contentLength: 1n, contentType: "image/png", metadataNames: [] }),
      "metadata owner is required",
    );
    assert.equal(unmetConditions({}, { metadataNames: [] }), undefined);
  });
});
