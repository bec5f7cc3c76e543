import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BucketEndpoint } from "../../src/core/bucket-endpoint.js";
import { DEFAULT_TTL_POLICY } from "../../src/core/expiry.js";
import { presignDelete } from "../../src/core/presign-delete.js";
import { presignGet } from "../../src/core/presign-get.js";
import { presignHead } from "../../src/core/presign-head.js";
import { presignList } from "../../src/core/presign-list.js";
import { presignPost } from "../../src/core/presign-post.js";
import { presignPut } from "../../src/core/presign-put.js";
import { createPresigner, type SigningContext } from "../../src/core/signer.js";

const vhost: BucketEndpoint = {
  bucket: "b",
  region: "eu-west-1",
  protocol: "https:",
  hostname: "b.s3.eu-west-1.amazonaws.com",
  pathPrefix: "",
};
const pathStyle: BucketEndpoint = {
  bucket: "b",
  region: "us-east-1",
  protocol: "http:",
  hostname: "127.0.0.1",
  port: 7480,
  pathPrefix: "/b",
};
const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "session-token" };
const ctx: SigningContext = {
  presigner: createPresigner(credentials),
  credentials,
  now: new Date("2026-01-01T00:00:00Z"),
  ttl: DEFAULT_TTL_POLICY,
};

describe("presigned requests carry exactly what was checked", () => {
  it("GET has no flexible-checksum parameters and no checksum mode", async () => {
    const { url, headers } = await presignGet(vhost, { key: "k" }, ctx);
    assert.deepEqual(headers, {});
    const names = [...new URL(url).searchParams.keys()].map((n) => n.toLowerCase());
    assert.ok(!names.some((n) => n.includes("checksum") || n.includes("sdk-checksum")), names.join());
    assert.equal(new URL(url).searchParams.get("X-Amz-Security-Token"), "session-token");
    // RGW 16 ignores the credential scope's region; AWS S3 does not. Sign for the bucket's region.
    assert.equal(new URL(url).searchParams.get("X-Amz-Credential"), "AKIDEXAMPLE/20260101/eu-west-1/s3/aws4_request");
    assert.ok(!names.includes("x-amz-s3session-token"), "not the S3 Express token slot");
  });

  it("PUT signs every header it returns and hoists none of them", async () => {
    const md5 = Buffer.alloc(16, 1).toString("base64");
    const sha = Buffer.alloc(32, 2).toString("base64");
    const { url, headers } = await presignPut(
      pathStyle,
      {
        key: "dir/file name.txt",
        contentLength: 12n,
        contentType: "text/plain",
        contentMd5: md5,
        checksumSha256: sha,
        metadata: { z: "1", a: "2" },
      },
      ctx,
    );
    const u = new URL(url);
    assert.equal(u.host, "127.0.0.1:7480");
    assert.equal(u.pathname, "/b/dir/file%20name.txt");
    assert.deepEqual(headers, {
      "content-length": "12",
      "content-type": "text/plain",
      "content-md5": md5,
      "x-amz-checksum-sha256": sha,
      "x-amz-meta-a": "2",
      "x-amz-meta-z": "1",
    });
    assert.equal(
      u.searchParams.get("X-Amz-SignedHeaders"),
      "content-length;content-md5;content-type;host;x-amz-checksum-sha256;x-amz-meta-a;x-amz-meta-z",
    );
    for (const name of u.searchParams.keys()) assert.ok(!name.toLowerCase().startsWith("x-amz-meta-"), name);
    assert.ok(!u.searchParams.has("x-amz-sdk-checksum-algorithm"));
  });

  it("GET puts response overrides and versionId in the signed query, range in headers", async () => {
    const { url, headers } = await presignGet(
      vhost,
      {
        key: "k",
        versionId: "v1",
        range: "bytes=-500",
        overrides: { contentType: "text/csv", cacheControl: "no-cache" },
      },
      ctx,
    );
    const q = new URL(url).searchParams;
    assert.equal(q.get("versionId"), "v1");
    assert.equal(q.get("response-content-type"), "text/csv");
    assert.equal(q.get("response-cache-control"), "no-cache");
    assert.equal(q.get("X-Amz-SignedHeaders"), "host;range");
    assert.deepEqual(headers, { range: "bytes=-500" });
  });

  it("encodes every key segment like the SDK and keeps slashes", async () => {
    const { url } = await presignGet(vhost, { key: "a+b/c d/é?#%/" }, ctx);
    assert.equal(new URL(url).pathname, "/a%2Bb/c%20d/%C3%A9%3F%23%25/");
  });

  it("POST policy pins bucket, key and credential fields and is signed for the region", async () => {
    const signed = await presignPost(vhost, { key: "x/${filename}", maxContentLength: 10n }, ctx);
    assert.equal(signed.url, "https://b.s3.eu-west-1.amazonaws.com/");
    assert.equal(signed.fields["X-Amz-Credential"], "AKIDEXAMPLE/20260101/eu-west-1/s3/aws4_request");
    assert.equal(signed.fields["X-Amz-Security-Token"], "session-token");
    assert.deepEqual(signed.policy.conditions.slice(0, 3), [
      { bucket: "b" },
      ["starts-with", "$key", "x/"],
      ["content-length-range", 0, 10],
    ]);
    assert.equal(signed.policy.expiration, "2026-01-01T00:15:00Z");
    assert.match(signed.fields["X-Amz-Signature"] ?? "", /^[0-9a-f]{64}$/);
  });

  it("HEAD and DELETE sign the object's path, with the SDK's x-id only for DELETE", async () => {
    const head = await presignHead(pathStyle, { key: "a b/c", versionId: "v1" }, ctx);
    assert.deepEqual([head.method, new URL(head.url).pathname, head.headers], ["HEAD", "/b/a%20b/c", {}]);
    assert.equal(new URL(head.url).searchParams.get("x-id"), null);
    assert.equal(new URL(head.url).searchParams.get("versionId"), "v1");
    const del = await presignDelete(vhost, { key: "k" }, ctx);
    assert.deepEqual([del.method, new URL(del.url).pathname], ["DELETE", "/k"]);
    assert.equal(new URL(del.url).searchParams.get("x-id"), "DeleteObject");
  });

  it("ListObjectsV2 signs the bucket's own path, virtual-hosted or path style", async () => {
    const v = await presignList(vhost, { prefix: "p/" }, ctx);
    assert.equal(new URL(v.url).pathname, "/");
    const p = await presignList(pathStyle, { prefix: "p/", delimiter: "/", maxKeys: 0 }, ctx);
    assert.equal(new URL(p.url).pathname, "/b");
    const q = new URL(p.url).searchParams;
    assert.deepEqual(
      [q.get("list-type"), q.get("prefix"), q.get("delimiter"), q.get("max-keys")],
      ["2", "p/", "/", null],
    );
    assert.ok(new URL(p.url).searchParams.get("X-Amz-SignedHeaders") === "host");
  });
});
