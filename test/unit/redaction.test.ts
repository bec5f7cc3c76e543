import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { redactUrl } from "../../src/client/http/redact-url.js";
import { encodeGrpcMessage } from "../../src/server/grpc-message.js";

describe("redactUrl", () => {
  it("removes signature, credential and session token, keeps the rest", () => {
    const url =
      "https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Security-Token=tok&X-Amz-Signature=abc123&X-Amz-Expires=60";
    const redacted = redactUrl(url);
    for (const secret of ["AKID", "tok", "abc123"]) assert.ok(!redacted.includes(secret), redacted);
    assert.match(redacted, /X-Amz-Expires=60/);
    assert.match(redacted, /X-Amz-Signature=REDACTED/);
    assert.equal(redactUrl("not a url with X-Amz-Signature=abc"), "REDACTED");
  });
});

describe("encodeGrpcMessage", () => {
  it("escapes only %, controls and non-ASCII, as the gRPC spec says", () => {
    assert.equal(encodeGrpcMessage('key: must be "x"/y?z=1'), 'key: must be "x"/y?z=1');
    assert.equal(encodeGrpcMessage("100% zoë\n"), "100%25 zo%C3%AB%0A");
    assert.equal(decodeURI(encodeGrpcMessage("a:%é")), "a:%é");
    assert.equal(decodeURIComponent(encodeGrpcMessage("a:%é")), "a:%é");
  });
});
