import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import type { NodePresignClient } from "../../src/cli/node-client.js";
import { refusal } from "../support/refusal.js";
import { serverForSuite } from "../support/test-server.js";

describe("bad input gets a precise code and a message naming the field", () => {
  const suite = serverForSuite();

  async function refused(call: Promise<unknown>, code: Code, message: RegExp): Promise<void> {
    const error = await refusal(call);
    assert.equal(error.code, code, `${Code[error.code]}: ${error.rawMessage}`);
    assert.match(error.rawMessage, message);
  }

  /** A raw Connect JSON request, for bodies no typed client would send. */
  async function postJson(
    method: string,
    body: string,
  ): Promise<{ status: number; body: { code: string; message: string } }> {
    const res = await fetch(`${suite.server.url}/presign.v1.PresignService/${method}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    return { status: res.status, body: (await res.json()) as { code: string; message: string } };
  }

  const get = (init: Parameters<NodePresignClient["service"]["getObject"]>[0]) => suite.client.service.getObject(init);
  const put = (init: Parameters<NodePresignClient["service"]["putObject"]>[0]) =>
    suite.client.service.putObject({ key: "k", contentLength: 1n, ...init });
  const post = (init: Parameters<NodePresignClient["service"]["postPolicy"]>[0]) =>
    suite.client.service.postPolicy({ key: "k", maxContentLength: 10n, ...init });

  it("empty key", () => refused(get({ key: "" }), Code.InvalidArgument, /^key: must not be empty/));
  it("key over 1024 bytes", () =>
    refused(
      get({ key: "é".repeat(513) }),
      Code.InvalidArgument,
      /^key: must be at most 1024 bytes \[string\.max_bytes\]$/,
    ));
  it("control character in key", () =>
    refused(get({ key: "a\nb" }), Code.InvalidArgument, /^key: must not contain control/));
  it("dot-dot segment in key", () =>
    refused(get({ key: "a/../b" }), Code.InvalidArgument, /^key: must not contain a "\.\." path segment/));
  it("lone surrogate in a JSON key", async () => {
    const { body } = await postJson("GetObject", '{"key": "a\\ud800"}');
    assert.equal(body.code, "invalid_argument");
    assert.match(body.message, /GetObjectRequest\.key from JSON.*invalid UTF8/);
  });
  it("unknown bucket", () =>
    refused(get({ bucket: "other", key: "k" }), Code.NotFound, /^bucket: "other" is not served/));
  it("negative TTL", () =>
    refused(get({ key: "k", expiresIn: { seconds: -5n } }), Code.InvalidArgument, /^expires_in: must not be negative/));
  it("sub-second TTL", () =>
    refused(get({ key: "k", expiresIn: { nanos: 5000 } }), Code.InvalidArgument, /^expires_in: must be at least 1s/));
  it("malformed duration", () =>
    refused(
      get({ key: "k", expiresIn: { seconds: 5n, nanos: -1 } }),
      Code.InvalidArgument,
      /^expires_in: is not a valid/,
    ));
  it("cache_window under a second, over an hour, fractional or longer than the TTL", async () => {
    const BOUNDS =
      /^cache_window: must be greater than or equal to 1s and less than or equal to 3600s \[duration\.gte_lte\]$/;
    await refused(get({ key: "k", cacheWindow: { nanos: 500_000_000 } }), Code.InvalidArgument, BOUNDS);
    await refused(get({ key: "k", cacheWindow: { seconds: 3601n } }), Code.InvalidArgument, BOUNDS);
    await refused(
      get({ key: "k", cacheWindow: { seconds: 60n, nanos: 5 } }),
      Code.InvalidArgument,
      /^cache_window: must be whole seconds$/,
    );
    await refused(
      get({ key: "k", expiresIn: { seconds: 60n }, cacheWindow: { seconds: 120n } }),
      Code.InvalidArgument,
      /^cache_window: 2m is longer than the URL's lifetime of 1m/,
    );
    await refused(
      suite.client.service.headObject({ key: "k", cacheWindow: { seconds: 7200n } }),
      Code.InvalidArgument,
      BOUNDS,
    );
  });
  it("bad range", () => refused(get({ key: "k", range: "bytes=5-1" }), Code.InvalidArgument, /^range: last byte/));
  it("multi range", () =>
    refused(get({ key: "k", range: "bytes=0-1,5-6" }), Code.InvalidArgument, /^range: must be one byte range/));
  it("override with newline", () =>
    refused(
      get({ key: "k", overrides: { contentDisposition: "a\r\nb" } }),
      Code.InvalidArgument,
      /^overrides\.content_disposition: must be printable ASCII/,
    ));
  it("download_filename with a control character", () =>
    refused(
      get({ key: "k", overrides: { downloadFilename: "a\r\nb.txt" } }),
      Code.InvalidArgument,
      /^overrides\.download_filename: must not contain control characters/,
    ));
  it("download_filename with a path", () =>
    refused(
      get({ key: "k", overrides: { downloadFilename: "../etc/passwd" } }),
      Code.InvalidArgument,
      /^overrides\.download_filename: must be a file name without "\/"/,
    ));
  it("download_filename over 255 bytes", () =>
    refused(
      get({ key: "k", overrides: { downloadFilename: `${"é".repeat(128)}.txt` } }),
      Code.InvalidArgument,
      /overrides\.download_filename: .*255 bytes/,
    ));
  it("download_filename together with content_disposition", () =>
    refused(
      get({ key: "k", overrides: { downloadFilename: "a.txt", contentDisposition: "inline" } }),
      Code.InvalidArgument,
      /content_disposition.*download_filename|download_filename.*content_disposition/,
    ));
  it("download_filename signs the Content-Disposition S3 answers with", async () => {
    const url = new URL((await get({ key: "k", overrides: { downloadFilename: "Résumé.pdf" } })).url);
    assert.equal(
      url.searchParams.get("response-content-disposition"),
      "attachment; filename=\"R_sum_.pdf\"; filename*=UTF-8''R%C3%A9sum%C3%A9.pdf",
    );
  });
  it("content_length 0 is an empty object, signed as such", async () => {
    const empty = await put({ contentLength: 0n });
    assert.equal(empty.headers["content-length"], "0");
  });
  it("negative content_length", () =>
    refused(
      put({ contentLength: -1n }),
      Code.InvalidArgument,
      /^content_length: must be greater than or equal to 0 and less than or equal to 5368709120 \[int64\.gte_lte\]$/,
    ));
  it("content_length over 5 GiB", () =>
    refused(
      put({ contentLength: 5n * 1024n ** 3n + 1n }),
      Code.InvalidArgument,
      /^content_length: must be greater than or equal to 0 and less than or equal to 5368709120 \[int64\.gte_lte\]$/,
    ));
  it("bad content type", () =>
    refused(
      put({ contentType: "not a type" }),
      Code.InvalidArgument,
      /^content_type: "not a type" is not a media type/,
    ));
  it("bad content md5", () =>
    refused(put({ contentMd5: "abc" }), Code.InvalidArgument, /^content_md5: must be the base64 of a 16-byte digest/));
  it("bad checksum", () =>
    refused(
      put({ checksumSha256: Buffer.alloc(16).toString("base64") }),
      Code.InvalidArgument,
      /^checksum_sha256: must be the base64 of a 32-byte/,
    ));
  it("upper-case metadata name", () =>
    refused(put({ metadata: { Owner: "x" } }), Code.InvalidArgument, /^metadata\["Owner"\]: names are lower-case/));
  it("non-ASCII metadata value", () =>
    refused(
      put({ metadata: { owner: "Zoë" } }),
      Code.InvalidArgument,
      /^metadata\["owner"\]: must be printable ASCII/,
    ));
  it("metadata over 2 KB", () =>
    refused(
      put({ metadata: { a: "x".repeat(1500), b: "y".repeat(1000) } }),
      Code.InvalidArgument,
      /^metadata: is 2502 bytes/,
    ));
  it("post without key", () => refused(post({ key: "" }), Code.InvalidArgument, /^key: is required/));
  it("post with key and key_prefix", () =>
    refused(
      post({ keyPrefix: "p/" }),
      Code.InvalidArgument,
      /^only one of key, key_prefix, handle can be set \[message\.oneof\]$/,
    ));
  it("post with max length above 5 GiB", () =>
    refused(
      post({ maxContentLength: 5368709121n }),
      Code.InvalidArgument,
      /^max_content_length: must be greater than 0 and less than or equal to 5368709120 \[int64\.gt_lte\]$/,
    ));
  it("post with min > max", () =>
    refused(
      post({ minContentLength: 11n }),
      Code.InvalidArgument,
      /^min_content_length: 11 is larger than max_content_length 10/,
    ));
  it("post with bad status", () =>
    refused(
      post({ successActionStatus: 302 }),
      Code.InvalidArgument,
      /^success_action_status: must be in list \[0, 200, 201, 204\] \[int32\.in\]$/,
    ));

  it("malformed JSON body gets invalid_argument, not internal", async () => {
    const { status, body } = await postJson("GetObject", '{"key": 5');
    assert.equal(status, 400);
    assert.equal(body.code, "invalid_argument");
  });

  it("an undecodable binary message is invalid_argument in the Connect protocol", async () => {
    const res = await fetch(`${suite.server.url}/presign.v1.PresignService/GetObject`, {
      method: "POST",
      headers: { "content-type": "application/proto" },
      body: new Uint8Array([0x0a, 0x05, 0x61]),
    });
    assert.equal(res.status, 400);
    assert.deepEqual(await res.json(), {
      code: "invalid_argument",
      message: "request: not a valid protobuf message (premature EOF)",
    });
  });

  it("wrong JSON type names the field", async () => {
    const { body } = await postJson("PutObject", '{"key": "k", "contentLength": "lots"}');
    assert.equal(body.code, "invalid_argument");
    assert.match(body.message, /contentLength|content_length/);
  });

  it("an oversized request is resource_exhausted", async () => {
    const { body } = await postJson("GetObject", JSON.stringify({ key: "x".repeat(300 * 1024) }));
    assert.equal(body.code, "resource_exhausted");
  });

  it("unknown paths get 404 and the server stays up", async () => {
    const res = await fetch(`${suite.server.url}/nope`);
    assert.equal(res.status, 404);
    const ok = await suite.client.service.getObject({ key: "still-up" });
    assert.ok(ok.url);
  });

  describe("HeadObject and DeleteObject", () => {
    const head = (init: Parameters<NodePresignClient["service"]["headObject"]>[0]) =>
      suite.client.service.headObject(init);
    const del = (init: Parameters<NodePresignClient["service"]["deleteObject"]>[0]) =>
      suite.client.service.deleteObject(init);
    for (const [name, call] of [
      ["HeadObject", head],
      ["DeleteObject", del],
    ] as const) {
      it(`${name}: empty key`, () => refused(call({ key: "" }), Code.InvalidArgument, /^key: must not be empty/));
      it(`${name}: key over 1024 bytes`, () =>
        refused(call({ key: "k".repeat(1025) }), Code.InvalidArgument, /^key: must be at most 1024 bytes/));
      it(`${name}: control character in key`, () =>
        refused(call({ key: "a\u0085b" }), Code.InvalidArgument, /^key: must not contain control/));
      it(`${name}: dot segment in key`, () =>
        refused(call({ key: "a/./b" }), Code.InvalidArgument, /^key: must not contain a "\." path segment/));
      it(`${name}: version_id with a space`, () =>
        refused(
          call({ key: "k", versionId: "a b" }),
          Code.InvalidArgument,
          /^version_id: must be 1 to 1024 printable ASCII characters without spaces$/,
        ));
      it(`${name}: key and handle`, () =>
        refused(call({ key: "k", handle: "h" }), Code.InvalidArgument, /^only one of key, handle can be set/));
      it(`${name}: garbage handle`, () =>
        refused(call({ handle: "nope" }), Code.InvalidArgument, /^handle: is not a presignd handle$/));
      it(`${name}: unknown bucket`, () =>
        refused(call({ bucket: "other", key: "k" }), Code.NotFound, /^bucket: "other" is not served/));
      it(`${name}: negative TTL`, () =>
        refused(
          call({ key: "k", expiresIn: { seconds: -1n } }),
          Code.InvalidArgument,
          /^expires_in: must not be negative/,
        ));
    }
  });

  describe("ListObjects", () => {
    const list = (init: Parameters<NodePresignClient["service"]["listObjects"]>[0]) =>
      suite.client.service.listObjects(init);
    it("prefix over 1024 bytes", () =>
      refused(list({ prefix: "é".repeat(513) }), Code.InvalidArgument, /^prefix: must be at most 1024 bytes/));
    it("control character in prefix", () =>
      refused(list({ prefix: "a\tb/" }), Code.InvalidArgument, /^prefix: must not contain control characters/));
    it("dot-dot segment in prefix", () =>
      refused(list({ prefix: "a/../" }), Code.InvalidArgument, /^prefix: must not contain a "\.\." path segment/));
    it("delimiter over 16 bytes", () =>
      refused(
        list({ delimiter: "x".repeat(17) }),
        Code.InvalidArgument,
        /^delimiter: must be at most 16 bytes \[string\.max_bytes\]$/,
      ));
    it("control character in delimiter", () =>
      refused(list({ delimiter: "\n" }), Code.InvalidArgument, /^delimiter: must not contain control characters/));
    it("max_keys above 1000 or negative", async () => {
      for (const maxKeys of [1001, -1]) {
        await refused(
          list({ maxKeys }),
          Code.InvalidArgument,
          /^max_keys: must be greater than or equal to 0 and less than or equal to 1000/,
        );
      }
    });
    it("start_after over 1024 bytes or with a control character", async () => {
      await refused(
        list({ startAfter: "k".repeat(1025) }),
        Code.InvalidArgument,
        /^start_after: must be at most 1024 bytes/,
      );
      await refused(list({ startAfter: "a\u0000" }), Code.InvalidArgument, /^start_after: must not contain control/);
    });
    it("continuation_token over 1024 bytes or with a control character", async () => {
      await refused(
        list({ continuationToken: "t".repeat(1025) }),
        Code.InvalidArgument,
        /^continuation_token: must be at most 1024 bytes/,
      );
      await refused(
        list({ continuationToken: "t\r\n" }),
        Code.InvalidArgument,
        /^continuation_token: must not contain control/,
      );
    });
    it("unknown bucket", () => refused(list({ bucket: "other" }), Code.NotFound, /^bucket: "other" is not served/));
    it("sub-second TTL", () =>
      refused(list({ expiresIn: { nanos: 1000 } }), Code.InvalidArgument, /^expires_in: must be at least 1s/));
  });

  it("no bad input was logged as an error", () => {
    const errors = suite.server.logs.filter((line) => (line.level as number) >= 50);
    assert.deepEqual(errors, []);
  });
});
