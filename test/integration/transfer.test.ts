import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough, Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { isS3Error, S3Error } from "@presignd/client/node";
import { connectPresignd, type NodePresignClient } from "../../src/cli/node-client.js";
import { collector } from "../support/collect.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// Keys that tend to break signing or URL handling. The embedded S3 stores
// objects as files, so each "/"-separated segment must stay under 255 bytes.
const TRICKY_KEYS = [
  "plain.txt",
  "with space/and+plus=equals.txt",
  "query?hash#percent%25.txt",
  "amp&tilde~quote'paren(star)*.txt",
  "unicode/Zoë-日本語-😀.txt",
  "nfd/Zoe\u0308.txt",
  "trailing-slash/",
  Array.from({ length: 8 }, (_, i) => `${String(i)}${"k".repeat(126)}`)
    .join("/")
    .padEnd(1024, "z"),
];

describe("bytes move through the embedded S3 with presigned requests", () => {
  let server: TestServer;
  let client: NodePresignClient;
  let dir: string;
  before(async () => {
    server = await startTestServer();
    client = connectPresignd({ baseUrl: server.url });
    dir = await mkdtemp(join(tmpdir(), "presignd-it-"));
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("has a 1024-byte key in the corpus", () => {
    assert.equal(Buffer.byteLength(TRICKY_KEYS.at(-1) ?? ""), 1024);
  });

  for (const key of TRICKY_KEYS) {
    it(`round-trips key ${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)}`, async () => {
      const body = Buffer.from(`body of ${key}`);
      const up = await client.upload(key, body, { params: { contentType: "text/plain" } });
      assert.equal(up.status, 200);
      const sink = collector();
      await client.download(key, sink.writable);
      assert.deepEqual(sink.bytes(), body);
    });
  }

  it("uploads a file and downloads it to a file, 8 MiB, with progress", async () => {
    const data = randomBytes(8 * 1024 * 1024);
    const src = join(dir, "src.bin");
    const dst = join(dir, "dst.bin");
    await writeFile(src, data);
    const seen: number[] = [];
    const up = await client.upload("big/file.bin", src, { onProgress: (p) => seen.push(p.transferred) });
    assert.equal(up.bytes, data.length);
    assert.equal(seen.at(-1), data.length);
    assert.equal(up.etag, `"${createHash("md5").update(data).digest("hex")}"`);
    const down = await client.download("big/file.bin", dst);
    assert.equal(down.bytes, data.length);
    assert.ok((await readFile(dst)).equals(data));
    await assert.rejects(stat(`${dst}.presignd-partial`), { code: "ENOENT" });
  });

  it("uploads from a Node stream and a Web stream of unknown length", async () => {
    const data = randomBytes(300_000);
    const node = new PassThrough();
    node.end(data);
    await client.upload("streams/node.bin", node);
    await client.upload(
      "streams/web.bin",
      Readable.toWeb(Readable.from([data.subarray(0, 1000), data.subarray(1000)])) as ReadableStream<Uint8Array>,
    );
    for (const key of ["streams/node.bin", "streams/web.bin"]) {
      const out = join(dir, "stream-out.bin");
      await client.download(key, out);
      assert.ok((await readFile(out)).equals(data), key);
    }
  });

  it("downloads into a Web WritableStream", async () => {
    await client.upload("web/dest.txt", Buffer.from("to a web stream"));
    const chunks: Uint8Array[] = [];
    await client.download("web/dest.txt", new WritableStream({ write: (c) => void chunks.push(c) }));
    assert.equal(Buffer.concat(chunks).toString(), "to a web stream");
  });

  it("stores signed metadata and content type", async () => {
    await client.upload("meta.txt", Buffer.from("m"), {
      params: { contentType: "text/x-test", metadata: { owner: "alice" } },
    });
    const presigned = await client.service.getObject({ key: "meta.txt" });
    const res = await fetch(presigned.url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/x-test");
    assert.equal(res.headers.get("x-amz-meta-owner"), "alice");
  });

  it("serves a signed byte range and response overrides", async () => {
    await client.upload("range.txt", Buffer.from("0123456789"));
    const presigned = await client.service.getObject({
      key: "range.txt",
      range: "bytes=2-5",
      overrides: { contentDisposition: 'attachment; filename="r.txt"' },
    });
    assert.deepEqual(presigned.headers, { range: "bytes=2-5" });
    const res = await fetch(presigned.url, { headers: presigned.headers });
    assert.equal(res.status, 206);
    assert.equal(await res.text(), "2345");
    assert.equal(res.headers.get("content-disposition"), 'attachment; filename="r.txt"');
  });

  it("surfaces a missing object as a typed S3Error", async () => {
    const error = await client.download("does/not/exist", new PassThrough()).catch((e: unknown) => e);
    assert.ok(error instanceof S3Error && isS3Error(error));
    assert.equal(error.status, 404);
    assert.equal(error.code, "NoSuchKey");
  });

  it("uploads with a POST policy form and reads the object back", async () => {
    const src = join(dir, "form.txt");
    await writeFile(src, "posted bytes");
    const res = await client.uploadForm("forms/${filename}", src, { params: { contentType: "text/plain" } });
    assert.equal(res.status, 204);
    const out = join(dir, "form-out.txt");
    await client.download("forms/form.txt", out);
    assert.equal(await readFile(out, "utf8"), "posted bytes");
  });

  it("signs a POST policy that pins every field it hands out", async () => {
    const res = await client.service.postPolicy({
      keyPrefix: "user/42/",
      minContentLength: 1n,
      maxContentLength: 1000n,
      contentTypePrefix: "image/",
      successActionStatus: 201,
      metadata: { owner: "alice" },
      expiresIn: { seconds: 120n },
    });
    const policy = JSON.parse(Buffer.from(res.fields.Policy ?? "", "base64").toString()) as {
      expiration: string;
      conditions: unknown[];
    };
    assert.deepEqual(policy.conditions.slice(0, 6), [
      { bucket: "dev" },
      ["starts-with", "$key", "user/42/"],
      ["content-length-range", 1, 1000],
      ["starts-with", "$Content-Type", "image/"],
      { success_action_status: "201" },
      { "x-amz-meta-owner": "alice" },
    ]);
    for (const name of ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date"]) {
      assert.deepEqual(
        policy.conditions.find((c) => typeof c === "object" && c !== null && name in c),
        {
          [name]: res.fields[name],
        },
      );
    }
    const expiresAt = res.expiresAt ? Number(res.expiresAt.seconds) * 1000 : 0;
    assert.equal(new Date(policy.expiration).getTime(), expiresAt);
    assert.equal(res.fields.key, "user/42/${filename}");
  });
});

describe("the S3 server rejects what was not signed", () => {
  let server: TestServer;
  let client: NodePresignClient;
  before(async () => {
    server = await startTestServer();
    client = connectPresignd({ baseUrl: server.url });
    await client.upload("victim.txt", Buffer.from("original"));
  });
  after(() => server.close());

  async function status(url: string, init: RequestInit = {}): Promise<[number, string]> {
    const res = await fetch(url, { ...init, ...(init.body ? { duplex: "half" } : {}) } as RequestInit);
    const text = await res.text();
    return [res.status, /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? ""];
  }

  it("a tampered signature", async () => {
    const { url } = await client.service.getObject({ key: "victim.txt" });
    const u = new URL(url);
    const sig = u.searchParams.get("X-Amz-Signature") ?? "";
    u.searchParams.set("X-Amz-Signature", (sig[0] === "0" ? "1" : "0") + sig.slice(1));
    assert.deepEqual(await status(u.toString()), [403, "SignatureDoesNotMatch"]);
  });

  it("a URL moved to another key", async () => {
    const { url } = await client.service.getObject({ key: "victim.txt" });
    assert.deepEqual(await status(url.replace("victim.txt", "other.txt")), [403, "SignatureDoesNotMatch"]);
  });

  it("a longer expiry than signed", async () => {
    const { url } = await client.service.getObject({ key: "victim.txt", expiresIn: { seconds: 60n } });
    assert.deepEqual(await status(url.replace("X-Amz-Expires=60", "X-Amz-Expires=600")), [
      403,
      "SignatureDoesNotMatch",
    ]);
  });

  it("an expired URL", async () => {
    const { url } = await client.service.getObject({ key: "victim.txt", expiresIn: { seconds: 1n } });
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.deepEqual(await status(url), [403, "AccessDenied"]);
  });

  it("a body longer than the signed Content-Length", async () => {
    const p = await client.service.putObject({ key: "victim.txt", contentLength: 4n });
    const [code] = await status(p.url, {
      method: "PUT",
      body: "overwrite!",
      headers: { ...p.headers, "content-length": "10" },
    });
    assert.equal(code, 403);
    const [, again] = await status((await client.service.getObject({ key: "victim.txt" })).url);
    assert.equal(again, "");
  });

  it("a different Content-Type than signed", async () => {
    const p = await client.service.putObject({ key: "victim.txt", contentLength: 4n, contentType: "text/plain" });
    const [code, s3code] = await status(p.url, {
      method: "PUT",
      body: "evil",
      headers: { ...p.headers, "content-type": "text/html" },
    });
    assert.deepEqual([code, s3code], [403, "SignatureDoesNotMatch"]);
  });

  it("the object is untouched by every rejected request", async () => {
    const sink = collector();
    await client.download("victim.txt", sink.writable);
    assert.equal(sink.bytes().toString(), "original");
  });
});
