import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { connectPresignd, type NodePresignClient } from "../../src/cli/node-client.js";
import { Operation } from "../../src/gen/presign/v1/presign_pb.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const transports = [
  { name: "connect over HTTP/1.1", transport: "connect", httpVersion: "1.1" },
  { name: "connect over h2c", transport: "connect", httpVersion: "2" },
  { name: "grpc (h2c)", transport: "grpc" },
  { name: "grpc-web over HTTP/1.1", transport: "grpc-web", httpVersion: "1.1" },
  { name: "grpc-web over h2c", transport: "grpc-web", httpVersion: "2" },
] as const;

describe("PresignService over every protocol on one port", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  for (const t of transports) {
    describe(t.name, () => {
      let client: NodePresignClient;
      before(() => {
        client = connectPresignd({
          baseUrl: server.url,
          transport: t.transport,
          ...("httpVersion" in t ? { httpVersion: t.httpVersion } : {}),
        });
      });

      it("GetObject presigns a GET of the default bucket", async () => {
        const res = await client.service.getObject({ key: "a/b c.txt", expiresIn: { seconds: 60n } });
        const url = new URL(res.url);
        assert.equal(res.method, "GET");
        assert.equal(url.pathname, "/dev/a/b%20c.txt");
        assert.equal(url.searchParams.get("X-Amz-Expires"), "60");
        assert.equal(url.searchParams.get("X-Amz-SignedHeaders"), "host");
        assert.deepEqual(res.headers, {});
        const expiresAt = timestampDate(res.expiresAt ?? assert.fail("no expires_at"));
        assert.ok(Math.abs(expiresAt.getTime() - Date.now() - 60_000) < 2_000);
      });

      it("PutObject signs length, type and metadata and returns them as headers", async () => {
        const res = await client.service.putObject({
          key: "up.bin",
          contentLength: 5n,
          contentType: "application/octet-stream",
          metadata: { owner: "alice" },
        });
        assert.equal(res.method, "PUT");
        assert.deepEqual(res.headers, {
          "content-length": "5",
          "content-type": "application/octet-stream",
          "x-amz-meta-owner": "alice",
        });
        assert.equal(
          new URL(res.url).searchParams.get("X-Amz-SignedHeaders"),
          "content-length;content-type;host;x-amz-meta-owner",
        );
      });

      it("PostPolicy returns form fields with a signed policy", async () => {
        const res = await client.service.postPolicy({ key: "form/${filename}", maxContentLength: 1024n });
        assert.equal(res.url, new URL("/dev", res.url).toString());
        assert.equal(res.fields.key, "form/${filename}");
        assert.match(res.fields["X-Amz-Signature"] ?? "", /^[0-9a-f]{64}$/);
        assert.ok(res.fields.Policy);
      });

      it("multipart: CreateMultipartUpload (an S3 call), parts, Complete; batches; stored handles", async () => {
        const upload = await client.service.createMultipartUpload({
          key: `mp/${t.transport}.bin`,
          maxSize: 12n * 1024n * 1024n,
        });
        assert.ok(upload.uploadId);
        assert.equal(upload.maxParts, 2);
        const { parts } = await client.service.presignUploadParts({
          uploadToken: upload.uploadToken,
          parts: [
            { partNumber: 1, contentLength: 8n * 1024n * 1024n },
            { partNumber: 2, contentLength: 4n * 1024n * 1024n },
          ],
        });
        assert.deepEqual(
          parts.map((p) => [p.partNumber, p.request?.method, p.request?.headers["content-length"]]),
          [
            [1, "PUT", String(8 * 1024 * 1024)],
            [2, "PUT", String(4 * 1024 * 1024)],
          ],
        );
        const complete = await client.service.completeMultipartUpload({ uploadToken: upload.uploadToken });
        assert.equal(complete.method, "POST");
        const batch = await client.service.batchGetObject({ requests: [{ key: "x/1" }, { key: "x/2" }] });
        assert.equal(batch.requests.length, 2);
        const { handle } = await client.service.createHandle({ key: "x/1", operations: [Operation.GET] });
        assert.equal((await client.service.revokeHandle({ handle })).revoked, true);
      });
    });
  }
});
