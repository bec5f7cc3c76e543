import assert from "node:assert/strict";
import { it } from "node:test";
import { s3ErrorOf } from "../../src/client/http/s3-error-answer.js";

// s3ErrorOf(status, statusText, body, headers, url)
const parseS3Error = (status: number, body: string, headers: Record<string, string>, url?: string, statusText = "") =>
  s3ErrorOf(status, statusText, body, new Headers(headers), url ?? "http://s3.test/b/k");

it("parses S3's error document: code, message, request id", () => {
  const error = parseS3Error(
    403,
    "<Error><Code>AccessDenied</Code><Message>Request has expired</Message><RequestId>R1</RequestId></Error>",
    {},
    undefined,
    "Forbidden",
  );
  assert.equal(error.message, "S3 403 AccessDenied: Request has expired (request id R1)");
});

it("falls back to the HTTP reason when the document has an empty or no message (RGW)", () => {
  // RGW 16's answer to a GET of a missing key, as it sends it.
  const rgw =
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message></Message><BucketName>b</BucketName><RequestId>tx00000a1b2c3d4e5f6789-0065-default</RequestId><HostId>1234-default-default</HostId></Error>';
  const empty = parseS3Error(404, rgw, {}, undefined, "Not Found");
  assert.equal(empty.message, "S3 404 NoSuchKey: Not Found (request id tx00000a1b2c3d4e5f6789-0065-default)");
  const none = parseS3Error(404, "<Error><Code>NoSuchKey</Code></Error>", {}, undefined, "Not Found");
  assert.equal(none.message, "S3 404 NoSuchKey: Not Found");
  const noReason = parseS3Error(404, "<Error><Code>NoSuchKey</Code><Message/></Error>", {});
  assert.equal(noReason.message, "S3 404 NoSuchKey: HTTP 404");
});

it("keeps a non-XML body's first 200 characters (a proxy's page)", () => {
  const error = parseS3Error(502, "<html>bad gateway</html>".padEnd(300, "x"), {}, undefined, "Bad Gateway");
  assert.equal(error.code, "HTTP502");
  assert.match(error.message, /^S3 502 HTTP502: <html>bad gateway<\/html>x+$/);
});
