import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { isAbortError, isS3Error, S3Error, TransferAbortedError } from "@presignd/client/node";
import { connectPresignd, type NodePresignClient } from "../../src/cli/node-client.js";
import { collector } from "../support/collect.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// A real HTTP server that misbehaves on purpose the way networks and S3 do:
// cuts a download halfway, answers 503 SlowDown once, or stalls. presignd's
// --public-endpoint points the presigned URLs at it (it ignores signatures);
// the client is the package's, on its public API.
describe("transfer retries, resumes and aborts", () => {
  const data = randomBytes(256 * 1024);
  const seen: { method: string; key: string; range?: string; ifMatch?: string }[] = [];
  let failures = 0;
  let s3: http.Server;
  let server: TestServer;
  let client: NodePresignClient;
  before(async () => {
    s3 = http.createServer((req, res) => {
      const key = new URL(req.url ?? "/", "http://s3").pathname.split("/").at(-1) ?? "";
      seen.push({
        method: req.method ?? "",
        key,
        ...(req.headers.range ? { range: req.headers.range } : {}),
        ...(req.headers["if-match"] ? { ifMatch: req.headers["if-match"] } : {}),
      });
      if (key === "cut") {
        const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
        if (range) {
          const from = Number(range[1]);
          res.writeHead(206, {
            "content-length": data.length - from,
            "content-range": `bytes ${from}-${data.length - 1}/${data.length}`,
            etag: '"e"',
          });
          res.end(data.subarray(from));
          return;
        }
        res.writeHead(200, { "content-length": data.length, etag: '"e"' });
        res.write(data.subarray(0, 100_000), () => res.destroy());
        return;
      }
      if (key === "slowdown") {
        if (failures++ === 0) {
          req.resume();
          res.writeHead(503, { "content-type": "application/xml", "x-amz-request-id": "REQ1" });
          res.end("<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
          return;
        }
        let n = 0;
        req.on("data", (c: Buffer) => {
          n += c.length;
        });
        req.on("end", () => res.writeHead(200, { etag: `"${n}"` }).end());
        return;
      }
      if (key === "denied") {
        req.resume();
        res.writeHead(403, { "content-type": "application/xml" });
        res.end("<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>R2</RequestId></Error>");
        return;
      }
      // "stall": never answers
    });
    await new Promise<void>((resolve) => s3.listen(0, "127.0.0.1", resolve));
    server = await startTestServer({
      publicEndpoint: `http://127.0.0.1:${(s3.address() as AddressInfo).port}`,
      logLevel: "warn",
    });
    client = connectPresignd({ baseUrl: server.url });
  });
  after(async () => {
    await server.close();
    s3.closeAllConnections();
    s3.close();
  });

  it("resumes a cut download with a Range request and If-Match", async () => {
    const sink = collector();
    const result = await client.download("cut", sink.writable);
    assert.ok(sink.bytes().equals(data));
    assert.equal(result.bytes, data.length);
    assert.deepEqual(
      seen.filter((r) => r.key === "cut").map((r) => [r.range, r.ifMatch]),
      [
        [undefined, undefined],
        ["bytes=100000-", '"e"'],
      ],
    );
  });

  it("retries an upload after 503 SlowDown", async () => {
    const result = await client.upload("slowdown", Buffer.from("retry me"));
    assert.equal(result.etag, '"8"');
    assert.equal(seen.filter((r) => r.key === "slowdown").length, 2);
  });

  it("does not retry a 403, and reports it as a typed S3Error", async () => {
    const before = seen.length;
    const error = await client.download("denied", collector().writable).catch((e: unknown) => e);
    assert.ok(error instanceof S3Error && isS3Error(error));
    assert.deepEqual([error.status, error.code, error.requestId], [403, "AccessDenied", "R2"]);
    assert.equal(seen.length - before, 1);
  });

  it("stops at an AbortSignal", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    const error = await client
      .download("stall", collector().writable, { signal: controller.signal })
      .catch((e: unknown) => e);
    assert.ok(error instanceof TransferAbortedError && isAbortError(error), String(error));
    assert.ok(Date.now() - started < 2000);
  });
});
