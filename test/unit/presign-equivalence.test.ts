import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { S3RequestPresigner } from "@aws-sdk/s3-request-presigner";
import { Sha256 } from "@smithy/core/checksum";
import { buildQueryString, extendedEncodeURIComponent, HttpRequest } from "@smithy/core/protocols";
import fc from "fast-check";
import type { BucketEndpoint } from "../../src/core/bucket-endpoint.js";
import { DEFAULT_TTL_POLICY } from "../../src/core/expiry.js";
import { checkObjectKey } from "../../src/core/object-key.js";
import { presignGet, type ResponseOverrides } from "../../src/core/presign-get.js";
import { presignPut } from "../../src/core/presign-put.js";
import { createPresigner, type SigningContext, type SigningCredentials } from "../../src/core/signer.js";

// The reference: the SDK's S3RequestPresigner on a request built the obvious
// way, its query serialised by the SDK's encoder. presignd's signing path must
// produce exactly these bytes, whatever shortcuts it takes.
async function reference(
  endpoint: BucketEndpoint,
  credentials: SigningCredentials,
  now: Date,
  expiresIn: number,
  request: { method: string; key: string; query: Record<string, string>; headers: Record<string, string> },
): Promise<string> {
  const presigner = new S3RequestPresigner({ credentials, region: endpoint.region, sha256: Sha256 });
  const host = endpoint.port === undefined ? endpoint.hostname : `${endpoint.hostname}:${endpoint.port}`;
  const names = Object.keys(request.headers);
  const signed = await presigner.presign(
    new HttpRequest({
      method: request.method,
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      ...(endpoint.port === undefined ? {} : { port: endpoint.port }),
      path: `${endpoint.pathPrefix}/${request.key.split("/").map(extendedEncodeURIComponent).join("/")}`,
      query: { ...request.query },
      headers: { ...request.headers, host },
    }),
    {
      signingDate: now,
      signingRegion: endpoint.region,
      expiresIn,
      signableHeaders: new Set(names),
      unhoistableHeaders: new Set(names.filter((name) => name.startsWith("x-amz-"))),
    },
  );
  return `${endpoint.protocol}//${host}${signed.path}?${buildQueryString(signed.query as Record<string, string>)}`;
}

const endpoints = fc.constantFrom<BucketEndpoint>(
  { bucket: "b", region: "eu-west-1", protocol: "https:", hostname: "b.s3.eu-west-1.amazonaws.com", pathPrefix: "" },
  { bucket: "b", region: "us-east-1", protocol: "http:", hostname: "127.0.0.1", port: 7480, pathPrefix: "/b" },
  {
    bucket: "my.bucket",
    region: "ap-southeast-2",
    protocol: "https:",
    hostname: "s3.example",
    pathPrefix: "/my.bucket",
  },
);
const credentialsArb = fc.record(
  {
    accessKeyId: fc.stringMatching(/^[A-Z0-9]{16,20}$/),
    secretAccessKey: fc.stringMatching(/^[A-Za-z0-9+/]{40}$/),
    sessionToken: fc.stringMatching(/^[A-Za-z0-9+/=]{1,80}$/),
  },
  { requiredKeys: ["accessKeyId", "secretAccessKey"] },
);
// Whole seconds, as signed; a few days so the signing-key cache sees misses and hits.
const nows = fc.integer({ min: 1_767_225_600, max: 1_767_225_600 + 3 * 86_400 }).map((s) => new Date(s * 1000));
const ttls = fc.integer({ min: 1, max: 7 * 24 * 3600 });
const keys = fc
  .oneof(
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
    fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
    fc.stringMatching(/^[a-z0-9 +=&?#%!'()*~._-]{1,8}(\/[a-zA-Z0-9 +=&?#%!'()*~._-]{0,8}){0,4}$/),
  )
  .filter((key) => {
    try {
      return checkObjectKey(key) === key;
    } catch {
      return false;
    }
  });
const headerValue = fc
  .stringMatching(/^[\u0020-\u007e]{1,40}$/)
  .map((value) => value.trim())
  .filter((value) => value.length > 0);

function contextFor(credentials: SigningCredentials, now: Date): SigningContext {
  return { presigner: createPresigner(credentials), credentials, now, ttl: DEFAULT_TTL_POLICY };
}

describe("presignd's signing path is byte-identical to the SDK's S3RequestPresigner", () => {
  it("GET with random keys, versions, response overrides and ranges", async () => {
    const overrideArb = fc.record(
      {
        cacheControl: headerValue,
        contentDisposition: headerValue,
        contentEncoding: headerValue,
        contentLanguage: headerValue,
        contentType: headerValue,
        expires: headerValue,
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        endpoints,
        credentialsArb,
        nows,
        ttls,
        keys,
        fc.option(fc.stringMatching(/^[\u0021-\u007e]{1,40}$/), { nil: undefined }),
        overrideArb,
        fc.option(fc.constantFrom("bytes=0-1023", "bytes=100-", "bytes=-500"), { nil: undefined }),
        async (endpoint, credentials, now, ttl, key, versionId, overrides, range) => {
          const ctx = contextFor(credentials, now);
          const signed = await presignGet(
            endpoint,
            {
              key,
              overrides: overrides as ResponseOverrides,
              expiresIn: { seconds: BigInt(ttl), nanos: 0 },
              ...(versionId === undefined ? {} : { versionId }),
              ...(range === undefined ? {} : { range }),
            },
            ctx,
          );
          const query: Record<string, string> = { "x-id": "GetObject" };
          if (versionId !== undefined) query.versionId = versionId;
          const o = overrides as ResponseOverrides;
          if (o.cacheControl) query["response-cache-control"] = o.cacheControl;
          if (o.contentDisposition) query["response-content-disposition"] = o.contentDisposition;
          if (o.contentEncoding) query["response-content-encoding"] = o.contentEncoding;
          if (o.contentLanguage) query["response-content-language"] = o.contentLanguage;
          if (o.contentType) query["response-content-type"] = o.contentType;
          if (o.expires) query["response-expires"] = o.expires;
          const headers: Record<string, string> = range === undefined ? {} : { range };
          assert.equal(
            signed.url,
            await reference(endpoint, credentials, now, ttl, { method: "GET", key, query, headers }),
          );
          assert.deepEqual(signed.headers, headers);
          assert.equal(
            new URL(signed.url).searchParams.get("X-Amz-Security-Token"),
            credentials.sessionToken ?? null,
            "a session token is signed into X-Amz-Security-Token, and only then",
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("PUT with random keys, lengths, digests and metadata", async () => {
    const metadataArb = fc.dictionary(fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,15}$/), headerValue, { maxKeys: 6 });
    await fc.assert(
      fc.asyncProperty(
        endpoints,
        credentialsArb,
        nows,
        ttls,
        keys,
        fc.bigInt({ min: 1n, max: 5n * 1024n ** 3n }),
        fc.option(fc.constantFrom("text/plain", "image/png", 'text/plain; charset="utf-8"'), { nil: undefined }),
        fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 }), { nil: undefined }),
        fc.option(fc.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined }),
        metadataArb,
        async (endpoint, credentials, now, ttl, key, contentLength, contentType, md5, sha256, metadata) => {
          const ctx = contextFor(credentials, now);
          const contentMd5 = md5 && Buffer.from(md5).toString("base64");
          const checksumSha256 = sha256 && Buffer.from(sha256).toString("base64");
          const signed = await presignPut(
            endpoint,
            {
              key,
              contentLength,
              metadata,
              expiresIn: { seconds: BigInt(ttl), nanos: 0 },
              ...(contentType === undefined ? {} : { contentType }),
              ...(contentMd5 === undefined ? {} : { contentMd5 }),
              ...(checksumSha256 === undefined ? {} : { checksumSha256 }),
            },
            ctx,
          );
          const headers: Record<string, string> = { "content-length": contentLength.toString() };
          if (contentType !== undefined) headers["content-type"] = contentType;
          if (contentMd5 !== undefined) headers["content-md5"] = contentMd5;
          if (checksumSha256 !== undefined) headers["x-amz-checksum-sha256"] = checksumSha256;
          for (const name of Object.keys(metadata).sort()) headers[`x-amz-meta-${name}`] = metadata[name] ?? "";
          const query = { "x-id": "PutObject" };
          assert.equal(
            signed.url,
            await reference(endpoint, credentials, now, ttl, { method: "PUT", key, query, headers }),
          );
          assert.deepEqual(signed.headers, headers);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("one long-lived signer signs each instant with its own date, milliseconds dropped", async () => {
    const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "token" };
    const presigner = createPresigner(credentials);
    const endpoint: BucketEndpoint = {
      bucket: "b",
      region: "us-east-1",
      protocol: "https:",
      hostname: "b.s3.amazonaws.com",
      pathPrefix: "",
    };
    const start = Date.parse("2026-01-01T23:59:58.500Z");
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: 4000 }), { minLength: 1, maxLength: 20 }),
        async (offsets) => {
          for (const offset of offsets) {
            const now = new Date(start + offset);
            const signed = await presignGet(endpoint, { key: "k" }, { ...contextFor(credentials, now), presigner });
            const whole = new Date(Math.floor(now.getTime() / 1000) * 1000);
            const query = { "x-id": "GetObject" };
            assert.equal(
              signed.url,
              await reference(endpoint, credentials, whole, 900, { method: "GET", key: "k", query, headers: {} }),
            );
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  it("signs with the credentials of the context, and a new token changes the signature", async () => {
    const endpoint: BucketEndpoint = {
      bucket: "b",
      region: "us-east-1",
      protocol: "https:",
      hostname: "b.s3.amazonaws.com",
      pathPrefix: "",
    };
    const now = new Date("2026-01-01T00:00:00Z");
    const a = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret", sessionToken: "token-a" };
    const b = { ...a, sessionToken: "token-b" };
    const c = { ...a, secretAccessKey: "other-secret" };
    const urls = await Promise.all(
      [a, b, c, a].map(async (creds) => (await presignGet(endpoint, { key: "k" }, contextFor(creds, now))).url),
    );
    const signatures = urls.map((url) => new URL(url).searchParams.get("X-Amz-Signature"));
    assert.equal(new Set(signatures.slice(0, 3)).size, 3);
    assert.equal(signatures[3], signatures[0]);
    assert.equal(new URL(urls[1] ?? "").searchParams.get("X-Amz-Security-Token"), "token-b");
  });
});
