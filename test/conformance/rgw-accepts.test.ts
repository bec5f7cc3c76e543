import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code } from "@connectrpc/connect";
import { DEFAULT_TTL_POLICY } from "../../src/core/expiry.js";
import { presignGet } from "../../src/core/presign-get.js";
import { createPresigner } from "../../src/core/signer.js";
import { collector } from "../support/collect.js";
import { rawRequest } from "../support/raw-http.js";
import { refusal } from "../support/refusal.js";
import { presigndForRgw, type RgwPresignd, rgwFromEnv } from "../support/rgw.js";

// Ceph RGW verifies every signature: what it accepts here, S3 accepts.
const KEYS = [
  "plain.txt",
  "with space.txt",
  "plus+sign.txt",
  "equals=sign.txt",
  "amp&sand.txt",
  "question?mark.txt",
  "hash#tag.txt",
  "per%cent.txt",
  "tilde~.txt",
  "quote'paren(star)*!.txt",
  "double//slash.txt",
  "trailing/slash/",
  "/leading-slash.txt",
  "nfc-Zo\u00eb.txt",
  "nfd-Zoe\u0308.txt",
  "emoji-😀🚀.txt",
  "日本語/ファイル.txt",
  "k".repeat(1024),
  "é".repeat(512),
];

describe("RGW accepts what presignd signs", () => {
  const rgw = rgwFromEnv();
  let p: RgwPresignd;
  before(async () => {
    p = await presigndForRgw(rgw);
  });
  after(() => p.server.close());

  for (const key of KEYS) {
    it(`PUT, GET and POST key ${JSON.stringify(key.length > 30 ? `${key.slice(0, 30)}… (${Buffer.byteLength(key)} bytes)` : key)}`, async () => {
      const body = Buffer.from(`object ${key}`);
      assert.equal((await p.client.upload(key, body)).status, 200);
      const sink = collector();
      await p.client.download(key, sink.writable);
      assert.deepEqual(sink.bytes(), body);
      // the same URL through a plain HTTP client
      const { url } = await p.client.service.getObject({ key });
      const raw = await rawRequest(url);
      assert.equal(raw.status, 200);
      assert.deepEqual(raw.body, body);
      // and a POST form upload of the same key
      if (!key.endsWith("/")) {
        const form = await p.client.uploadForm(key, Buffer.from("posted"));
        assert.equal(form.status, 204);
        assert.equal((await rawRequest((await p.client.service.getObject({ key })).url)).body.toString(), "posted");
      }
    });
  }

  it("keeps NFC and NFD spellings apart, as S3 does", async () => {
    await p.client.upload("nf-Zo\u00eb", Buffer.from("nfc"));
    await p.client.upload("nf-Zoe\u0308", Buffer.from("nfd"));
    for (const [key, text] of [
      ["nf-Zo\u00eb", "nfc"],
      ["nf-Zoe\u0308", "nfd"],
    ] as const) {
      assert.equal((await rawRequest((await p.client.service.getObject({ key })).url)).body.toString(), text);
    }
  });

  it("stores signed metadata, content type and Content-MD5", async () => {
    const body = randomBytes(1000);
    const res = await p.client.upload("meta.bin", body, {
      params: {
        contentType: "application/x-test",
        contentMd5: createHash("md5").update(body).digest("base64"),
        metadata: { owner: "alice", "trace-id": "t-1" },
      },
    });
    assert.equal(res.etag, `"${createHash("md5").update(body).digest("hex")}"`);
    const got = await rawRequest((await p.client.service.getObject({ key: "meta.bin" })).url);
    assert.equal(got.headers["content-type"], "application/x-test");
    assert.equal(got.headers["x-amz-meta-owner"], "alice");
    assert.equal(got.headers["x-amz-meta-trace-id"], "t-1");
  });

  it("the ceph profile refuses a checksum_sha256 RGW 16 would not verify (rgw-rejects shows why)", async () => {
    const error = await refusal(
      p.client.service.putObject({
        key: "sum.bin",
        contentLength: 3n,
        checksumSha256: createHash("sha256").update("sum").digest("base64"),
      }),
    );
    assert.equal(error.code, Code.FailedPrecondition);
    assert.equal(
      error.rawMessage,
      "checksum_sha256: Ceph RGW (RGW 16) stores no body checksum, so a signed x-amz-checksum-sha256 would not be verified; use content_md5",
    );
  });

  it("serves response overrides and a signed Range", async () => {
    await p.client.upload("range.txt", Buffer.from("0123456789"), { params: { contentType: "text/plain" } });
    const presigned = await p.client.service.getObject({
      key: "range.txt",
      range: "bytes=3-6",
      overrides: {
        contentType: "application/octet-stream",
        contentDisposition: 'attachment; filename="r.txt"',
        cacheControl: "no-store",
        contentLanguage: "en-GB",
      },
    });
    const res = await rawRequest(presigned.url, { headers: presigned.headers });
    assert.equal(res.status, 206);
    assert.equal(res.body.toString(), "3456");
    assert.equal(res.headers["content-type"], "application/octet-stream");
    assert.equal(res.headers["content-disposition"], 'attachment; filename="r.txt"');
    assert.equal(res.headers["cache-control"], "no-store");
    assert.equal(res.headers["content-language"], "en-GB");
  });

  it("accepts cacheable URLs: byte-identical within a window, dated back to its start (cache_window)", async () => {
    await p.client.upload("cached.txt", Buffer.from("cached"), { params: { contentType: "text/plain" } });
    const request = { key: "cached.txt", expiresIn: { seconds: 7200n }, cacheWindow: { seconds: 3600n } };
    const first = await p.client.service.getObject(request);
    const again = await p.client.service.getObject(request);
    const dated = new URL(first.url).searchParams.get("X-Amz-Date") ?? "";
    // Equal unless an hour boundary fell between the two calls.
    if (new URL(again.url).searchParams.get("X-Amz-Date") === dated) assert.equal(again.url, first.url);
    assert.match(dated, /^\d{8}T\d\d0000Z$/);
    for (const url of [first.url, again.url]) assert.equal((await rawRequest(url)).body.toString(), "cached");
    const head = await p.client.service.headObject(request);
    assert.equal((await rawRequest(head.url, { method: "HEAD" })).status, 200);
    // A URL a cache has held for 50 minutes: its window started then; RGW counts X-Amz-Expires from it.
    const url = new URL(rgw.endpoint);
    const credentials = {
      accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? "",
      secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? "",
    };
    const old = await presignGet(
      {
        bucket: rgw.bucket,
        region: "us-east-1",
        protocol: url.protocol === "https:" ? "https:" : "http:",
        hostname: url.hostname,
        port: Number(url.port),
        pathPrefix: `/${rgw.bucket}`,
      },
      { key: "cached.txt", expiresIn: { seconds: 3600n, nanos: 0 }, cacheWindowSeconds: 60 },
      {
        presigner: createPresigner(credentials),
        credentials,
        now: new Date(Date.now() - 50 * 60_000),
        ttl: DEFAULT_TTL_POLICY,
      },
    );
    assert.ok(old.expiresAt.getTime() - Date.now() < 11 * 60_000);
    const res = await rawRequest(old.url);
    assert.equal(res.status, 200, res.body.toString());
    assert.equal(res.body.toString(), "cached");
  });

  it("serves a download file name in any script as RFC 6266 Content-Disposition (download_filename)", async () => {
    await p.client.upload("dl.bin", Buffer.from("report"), { params: { contentType: "application/pdf" } });
    const presigned = await p.client.service.getObject({
      key: "dl.bin",
      overrides: { downloadFilename: 'Résumé "2026" 数据.pdf' },
    });
    const res = await rawRequest(presigned.url);
    assert.equal(res.status, 200);
    assert.equal(res.body.toString(), "report");
    assert.equal(
      res.headers["content-disposition"],
      'attachment; filename="R_sum_ \\"2026\\" __.pdf"; filename*=UTF-8\'\'R%C3%A9sum%C3%A9%20%222026%22%20%E6%95%B0%E6%8D%AE.pdf',
    );
  });

  it("accepts a POST within every policy condition", async () => {
    const res = await p.client.uploadForm("forms/${filename}", Buffer.from("x".repeat(50)), {
      params: {
        minContentLength: 10,
        maxContentLength: 100,
        contentType: "text/plain",
        successActionStatus: 201,
        metadata: { owner: "bob" },
      },
    });
    assert.equal(res.status, 201);
    const got = await rawRequest((await p.client.service.getObject({ key: "forms/blob" })).url);
    assert.equal(got.status, 200);
    assert.equal(got.headers["content-type"], "text/plain");
    assert.equal(got.headers["x-amz-meta-owner"], "bob");
  });

  it("a POST form with a Content-Type prefix: the file's own type is sent, as the policy needs", async () => {
    // Issue #11: RGW refused this (403 "Policy condition failed: starts-with $Content-Type") when
    // the client sent no Content-Type field.
    const png = Buffer.from("\x89PNG\r\n\x1a\n not really an image");
    const res = await p.client.uploadForm("uploads/${filename}", new File([png], "a.png", { type: "image/png" }), {
      params: { contentTypePrefix: "image/" },
    });
    assert.equal(res.status, 204);
    const got = await rawRequest((await p.client.service.getObject({ key: "uploads/a.png" })).url);
    assert.equal(got.status, 200);
    assert.equal(got.headers["content-type"], "image/png");
    assert.deepEqual(got.body, png);
  });

  it("a POST form from a file stream is stored under the file's name", async () => {
    const dir = await mkdtemp(join(tmpdir(), "presignd-rgw-form-"));
    try {
      const path = join(dir, "from-stream.txt");
      await writeFile(path, "streamed form");
      const res = await p.client.uploadForm("uploads/${filename}", createReadStream(path));
      assert.equal(res.status, 204);
      const got = await rawRequest((await p.client.service.getObject({ key: "uploads/from-stream.txt" })).url);
      assert.equal(got.body.toString(), "streamed form");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe("HEAD, DELETE and ListObjectsV2", () => {
    const objects = ["hdl/a.txt", "hdl/with space+é&=.txt", "hdl/sub/b.txt", "hdl/sub/c.txt", "hdlx/d.txt"];
    before(async () => {
      for (const key of objects) {
        await p.client.upload(key, Buffer.from(`object ${key}`), {
          params: { contentType: "text/plain", metadata: { owner: "carol" } },
        });
      }
    });
    const listed = (body: Buffer) => ({
      keys: [...body.toString().matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]),
      prefixes: [...body.toString().matchAll(/<CommonPrefixes><Prefix>([^<]*)<\/Prefix>/g)].map((m) => m[1]),
      token: /<NextContinuationToken>([^<]*)</.exec(body.toString())?.[1],
    });
    const unescapeXml = (s: string) =>
      s.replace(
        /&(amp|lt|gt|quot|apos);/g,
        (_m, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" })[e] ?? "",
      );

    it("HEAD answers the object's size, type, ETag and metadata, without the bytes", async () => {
      for (const key of ["hdl/a.txt", "hdl/with space+é&=.txt"]) {
        const presigned = await p.client.service.headObject({ key });
        assert.equal(presigned.method, "HEAD");
        const res = await rawRequest(presigned.url, { method: "HEAD", headers: presigned.headers });
        assert.equal(res.status, 200, key);
        assert.equal(res.headers["content-length"], String(Buffer.byteLength(`object ${key}`)));
        assert.equal(res.headers["content-type"], "text/plain");
        assert.equal(res.headers["x-amz-meta-owner"], "carol");
        assert.match(res.headers.etag ?? "", /^"[0-9a-f]{32}"$/);
        assert.equal(res.body.length, 0);
      }
    });

    it("ListObjectsV2 lists exactly the signed prefix, grouped by the delimiter", async () => {
      const presigned = await p.client.service.listObjects({ prefix: "hdl/", delimiter: "/" });
      assert.equal(presigned.method, "GET");
      const res = await rawRequest(presigned.url, { headers: presigned.headers });
      assert.equal(res.status, 200, res.body.toString());
      const { keys, prefixes } = listed(res.body);
      assert.deepEqual(
        keys.map((k) => unescapeXml(k ?? "")),
        ["hdl/a.txt", "hdl/with space+é&=.txt"],
      );
      assert.deepEqual(prefixes, ["hdl/sub/"]);
    });

    it("ListObjectsV2 pages with max_keys and RGW's continuation token, and start_after", async () => {
      const first = await p.client.service.listObjects({ prefix: "hdl/sub/", maxKeys: 1 });
      const page1 = listed((await rawRequest(first.url)).body);
      assert.deepEqual(page1.keys, ["hdl/sub/b.txt"]);
      assert.ok(page1.token, "a truncated page has a NextContinuationToken");
      const next = await p.client.service.listObjects({
        prefix: "hdl/sub/",
        maxKeys: 1,
        continuationToken: unescapeXml(page1.token),
      });
      const page2 = await rawRequest(next.url);
      assert.equal(page2.status, 200, page2.body.toString());
      assert.deepEqual(listed(page2.body).keys, ["hdl/sub/c.txt"]);
      const after = await p.client.service.listObjects({ prefix: "hdl/", startAfter: "hdl/sub/b.txt" });
      assert.deepEqual(
        listed((await rawRequest(after.url)).body).keys,
        ["hdl/sub/c.txt", "hdl/with space+é&=.txt"].map((k) => k.replace("&", "&amp;")),
      );
    });

    it("ListObjectsV2 with an empty prefix lists the whole bucket", async () => {
      const presigned = await p.client.service.listObjects({ prefix: "", maxKeys: 1000 });
      const res = await rawRequest(presigned.url);
      assert.equal(res.status, 200);
      assert.ok(listed(res.body).keys.includes("hdlx/d.txt"));
    });

    it("DELETE removes the object (204), and HEAD then answers 404", async () => {
      for (const key of ["hdlx/d.txt", "hdl/with space+é&=.txt"]) {
        const presigned = await p.client.service.deleteObject({ key });
        assert.equal(presigned.method, "DELETE");
        const res = await rawRequest(presigned.url, { method: "DELETE", headers: presigned.headers });
        assert.equal(res.status, 204, res.body.toString());
        const head = await p.client.service.headObject({ key });
        assert.equal((await rawRequest(head.url, { method: "HEAD" })).status, 404);
      }
    });
  });

  it("moves 64 MiB both ways, streaming", async () => {
    const data = randomBytes(64 * 1024 * 1024);
    await p.client.upload("big/64MiB.bin", data);
    const sink = collector();
    await p.client.download("big/64MiB.bin", sink.writable);
    assert.ok(sink.bytes().equals(data));
  });
});
