import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { S3Error } from "../../src/client/s3-error.js";
import { openSource } from "../../src/client/sources.js";
import { downloadPresigned, uploadPresigned } from "../../src/client/transfer.js";
import { collector } from "../support/collect.js";

// A real HTTP server that misbehaves on purpose the way networks and S3 do:
// cuts a download halfway, answers 503 SlowDown once, or stalls.
describe("transfer retries, resumes and aborts", () => {
  const data = randomBytes(256 * 1024);
  const seen: { method: string; url: string; range?: string }[] = [];
  let failures = 0;
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push({
        method: req.method ?? "",
        url: req.url ?? "",
        ...(req.headers.range ? { range: req.headers.range } : {}),
      });
      if (req.url === "/cut") {
        const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
        if (range) {
          const from = Number(range[1]);
          res.writeHead(206, { "content-length": data.length - from, etag: '"e"' });
          res.end(data.subarray(from));
          return;
        }
        res.writeHead(200, { "content-length": data.length, etag: '"e"' });
        res.write(data.subarray(0, 100_000), () => res.destroy());
        return;
      }
      if (req.url === "/slowdown") {
        if (failures++ === 0) {
          req.resume();
          res.writeHead(503, { "content-type": "application/xml", "x-amz-request-id": "REQ1" });
          res.end("<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>");
          return;
        }
        let n = 0;
        req.on("data", (c: Buffer) => (n += c.length));
        req.on("end", () => res.writeHead(200, { etag: `"${n}"` }).end());
        return;
      }
      if (req.url?.startsWith("/denied")) {
        req.resume();
        res.writeHead(403, { "content-type": "application/xml" });
        res.end(
          "<Error><Code>AccessDenied</Code><Message>Request has expired</Message><RequestId>R2</RequestId></Error>",
        );
        return;
      }
      // /stall: never answers
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it("resumes a cut download with a Range request", async () => {
    const sink = collector();
    const result = await downloadPresigned({ url: `${base}/cut`, method: "GET", headers: {} }, sink.writable);
    assert.ok(sink.bytes().equals(data));
    assert.equal(result.bytes, data.length);
    assert.deepEqual(
      seen.filter((r) => r.url === "/cut").map((r) => r.range),
      [undefined, "bytes=100000-"],
    );
  });

  it("retries a replayable upload after 503 SlowDown", async () => {
    const source = await openSource(Buffer.from("retry me"));
    const result = await uploadPresigned(
      { url: `${base}/slowdown`, method: "PUT", headers: { "content-length": "8" } },
      source,
    );
    assert.equal(result.etag, '"8"');
    assert.equal(seen.filter((r) => r.url === "/slowdown").length, 2);
  });

  it("does not retry a 403, and reports it as a typed S3Error", async () => {
    const before = seen.length;
    const error = await downloadPresigned(
      { url: `${base}/denied`, method: "GET", headers: {} },
      collector().writable,
    ).catch((e: unknown) => e);
    assert.ok(error instanceof S3Error);
    assert.deepEqual([error.status, error.code, error.requestId], [403, "AccessDenied", "R2"]);
    assert.equal(seen.length - before, 1);
  });

  it("stops at an AbortSignal", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await assert.rejects(
      downloadPresigned({ url: `${base}/stall`, method: "GET", headers: {} }, collector().writable, {
        signal: controller.signal,
      }),
      { name: "AbortError" },
    );
    assert.ok(Date.now() - started < 2000);
  });
});
