import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { rawRequest } from "../support/raw-http.js";
import { presigndForRgw, type RgwPresignd, rgwFromEnv } from "../support/rgw.js";

// What RGW refuses, and with which S3 error code. Each case starts from a
// request presignd signed and changes one thing.
describe("RGW rejects whatever differs from what presignd signed", () => {
  const rgw = rgwFromEnv();
  let p: RgwPresignd;
  const original = Buffer.from("original");
  before(async () => {
    p = await presigndForRgw(rgw);
    await p.client.upload("victim.txt", original);
  });
  after(() => p.server.close());

  const getUrl = async (ttl = 300) =>
    (await p.client.service.getObject({ key: "victim.txt", expiresIn: { seconds: BigInt(ttl) } })).url;
  const withParam = (url: string, name: string, value: (old: string) => string) => {
    const u = new URL(url);
    u.searchParams.set(name, value(u.searchParams.get(name) ?? ""));
    return u.toString();
  };
  const expect = async (request: Promise<{ status: number; code: string }>, status: number, code: string) => {
    const res = await request;
    assert.deepEqual([res.status, res.code], [status, code]);
  };

  describe("presigned GET", () => {
    it("tampered signature → 403 SignatureDoesNotMatch", async () =>
      expect(
        rawRequest(withParam(await getUrl(), "X-Amz-Signature", (s) => `${s[0] === "a" ? "b" : "a"}${s.slice(1)}`)),
        403,
        "SignatureDoesNotMatch",
      ));
    it("unknown access key in the credential → 403 InvalidAccessKeyId", async () =>
      expect(
        rawRequest(withParam(await getUrl(), "X-Amz-Credential", (c) => c.replace(/^[^/]+/, "AKIDUNKNOWN"))),
        403,
        "InvalidAccessKeyId",
      ));
    it("longer X-Amz-Expires → 403 SignatureDoesNotMatch", async () =>
      expect(rawRequest(withParam(await getUrl(60), "X-Amz-Expires", () => "3600")), 403, "SignatureDoesNotMatch"));
    it("another X-Amz-Date → 403 SignatureDoesNotMatch", async () =>
      expect(
        rawRequest(
          withParam(await getUrl(), "X-Amz-Date", (d) =>
            d.replace(/\d\dZ$/, "00Z") === d ? d.replace(/\d\dZ$/, "01Z") : d.replace(/\d\dZ$/, "00Z"),
          ),
        ),
        403,
        "SignatureDoesNotMatch",
      ));
    it("another path → 403 SignatureDoesNotMatch", async () =>
      expect(rawRequest((await getUrl()).replace("/victim.txt", "/victim.txt2")), 403, "SignatureDoesNotMatch"));
    it("another Host header → 403 SignatureDoesNotMatch", async () =>
      expect(rawRequest(await getUrl(), { headers: { host: `localhost:${rgw.port}` } }), 403, "SignatureDoesNotMatch"));
    it("an added query parameter → 403 SignatureDoesNotMatch", async () =>
      expect(rawRequest(`${await getUrl()}&response-content-type=text%2Fhtml`), 403, "SignatureDoesNotMatch"));
    it("expired → 403 AccessDenied", async () => {
      const url = await getUrl(1);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await expect(rawRequest(url), 403, "AccessDenied");
    });
    it("a signed Range that is changed → 403 SignatureDoesNotMatch", async () => {
      const p2 = await p.client.service.getObject({ key: "victim.txt", range: "bytes=0-1" });
      await expect(rawRequest(p2.url, { headers: { range: "bytes=0-7" } }), 403, "SignatureDoesNotMatch");
    });
  });

  describe("presigned HEAD, DELETE and ListObjectsV2", () => {
    const exists = async (key: string) =>
      (await rawRequest((await p.client.service.headObject({ key })).url, { method: "HEAD" })).status;
    before(async () => {
      await p.client.upload("lists/mine/a.txt", Buffer.from("a"));
      await p.client.upload("lists/theirs/b.txt", Buffer.from("b"));
    });

    it("a list with another prefix than signed → 403 SignatureDoesNotMatch", async () => {
      const { url } = await p.client.service.listObjects({ prefix: "lists/mine/" });
      assert.equal((await rawRequest(url)).status, 200);
      await expect(rawRequest(withParam(url, "prefix", () => "lists/theirs/")), 403, "SignatureDoesNotMatch");
      await expect(rawRequest(withParam(url, "prefix", () => "lists/")), 403, "SignatureDoesNotMatch");
      const u = new URL(url);
      u.searchParams.delete("prefix");
      await expect(rawRequest(u.toString()), 403, "SignatureDoesNotMatch");
    });
    it("a list with an added delimiter or another max-keys → 403 SignatureDoesNotMatch", async () => {
      const { url } = await p.client.service.listObjects({ prefix: "lists/mine/", maxKeys: 1 });
      await expect(rawRequest(`${url}&delimiter=%2F`), 403, "SignatureDoesNotMatch");
      await expect(rawRequest(withParam(url, "max-keys", () => "1000")), 403, "SignatureDoesNotMatch");
    });
    it("a DELETE of another key → 403 SignatureDoesNotMatch, and neither key is deleted", async () => {
      const { url } = await p.client.service.deleteObject({ key: "lists/mine/a.txt" });
      await expect(
        rawRequest(url.replace("/lists/mine/a.txt", "/lists/theirs/b.txt"), { method: "DELETE" }),
        403,
        "SignatureDoesNotMatch",
      );
      assert.equal(await exists("lists/theirs/b.txt"), 200);
      assert.equal(await exists("lists/mine/a.txt"), 200);
    });
    it("a DELETE URL sent as GET, and a HEAD URL sent as DELETE → 403 SignatureDoesNotMatch", async () => {
      const del = await p.client.service.deleteObject({ key: "lists/mine/a.txt" });
      await expect(rawRequest(del.url), 403, "SignatureDoesNotMatch");
      const head = await p.client.service.headObject({ key: "lists/mine/a.txt" });
      await expect(rawRequest(head.url, { method: "DELETE" }), 403, "SignatureDoesNotMatch");
      assert.equal(await exists("lists/mine/a.txt"), 200);
    });
    it("an expired DELETE and an expired list → 403 AccessDenied", async () => {
      const del = await p.client.service.deleteObject({ key: "lists/mine/a.txt", expiresIn: { seconds: 1n } });
      const list = await p.client.service.listObjects({ prefix: "lists/mine/", expiresIn: { seconds: 1n } });
      const head = await p.client.service.headObject({ key: "lists/mine/a.txt", expiresIn: { seconds: 1n } });
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await expect(rawRequest(del.url, { method: "DELETE" }), 403, "AccessDenied");
      await expect(rawRequest(list.url), 403, "AccessDenied");
      // A HEAD answer has no body to name the error: the status says it.
      assert.equal((await rawRequest(head.url, { method: "HEAD" })).status, 403);
      assert.equal(await exists("lists/mine/a.txt"), 200);
    });
  });

  describe("presigned PUT", () => {
    const put = (init: { contentType?: string; contentMd5?: string } = {}) =>
      p.client.service.putObject({ key: "victim.txt", contentLength: 8n, ...init });
    it("body longer than the signed Content-Length → 403 SignatureDoesNotMatch", async () => {
      const req = await put();
      await expect(
        rawRequest(req.url, { method: "PUT", body: "overwritten", headers: {} }),
        403,
        "SignatureDoesNotMatch",
      );
    });
    it("body shorter than the signed Content-Length → 403 SignatureDoesNotMatch", async () => {
      const req = await put();
      await expect(rawRequest(req.url, { method: "PUT", body: "short", headers: {} }), 403, "SignatureDoesNotMatch");
    });
    it("a different Content-Type → 403 SignatureDoesNotMatch", async () => {
      const req = await put({ contentType: "text/plain" });
      await expect(
        rawRequest(req.url, {
          method: "PUT",
          body: "evilbody",
          headers: { ...req.headers, "content-type": "text/html" },
        }),
        403,
        "SignatureDoesNotMatch",
      );
    });
    it("no Content-Type when one was signed → 403 SignatureDoesNotMatch", async () => {
      const req = await put({ contentType: "text/plain" });
      const { "content-type": _dropped, ...headers } = req.headers;
      await expect(rawRequest(req.url, { method: "PUT", body: "evilbody", headers }), 403, "SignatureDoesNotMatch");
    });
    it("a body that does not match the signed Content-MD5 → 400 BadDigest", async () => {
      const req = await put({ contentMd5: createHash("md5").update("expected").digest("base64") });
      await expect(rawRequest(req.url, { method: "PUT", body: "evilbody", headers: req.headers }), 400, "BadDigest");
    });
    it("a replaced Content-MD5 header → 403 SignatureDoesNotMatch", async () => {
      const req = await put({ contentMd5: createHash("md5").update("expected").digest("base64") });
      const headers = { ...req.headers, "content-md5": createHash("md5").update("evilbody").digest("base64") };
      await expect(rawRequest(req.url, { method: "PUT", body: "evilbody", headers }), 403, "SignatureDoesNotMatch");
    });
    it("RGW 16 gap: an unsigned extra x-amz-meta-* header is accepted (AWS S3 refuses: HeadersNotSigned)", async () => {
      const req = await p.client.service.putObject({ key: "gap/extra-meta.txt", contentLength: 8n });
      const res = await rawRequest(req.url, {
        method: "PUT",
        body: "8 bytes!",
        headers: { ...req.headers, "x-amz-meta-evil": "1" },
      });
      assert.equal(res.status, 200, "if RGW starts refusing this, move the case to the rejections above");
    });
    it("RGW 16 gap: a body that does not match a signed x-amz-checksum-sha256 is accepted (why the ceph profile refuses checksum_sha256)", async () => {
      const generic = await presigndForRgw(rgw, { provider: "generic" });
      try {
        const req = await generic.client.service.putObject({
          key: "gap/checksum.txt",
          contentLength: 8n,
          checksumSha256: createHash("sha256").update("expected").digest("base64"),
        });
        assert.ok(req.headers["x-amz-checksum-sha256"], "the checksum is signed");
        const res = await rawRequest(req.url, { method: "PUT", body: "evilbody", headers: req.headers });
        assert.equal(
          res.status,
          200,
          "if RGW starts refusing this (400 BadDigest), the ceph profile may sign checksums",
        );
      } finally {
        await generic.server.close();
      }
    });
    it("left the object untouched", async () => {
      assert.deepEqual((await rawRequest(await getUrl())).body, original);
    });
  });

  describe("POST policy", () => {
    async function sendForm(url: string, fields: Record<string, string>, file: Buffer) {
      // The platform's FormData, as the client sends it: the fields, then the file last.
      const form = new FormData();
      for (const [name, value] of Object.entries(fields)) form.append(name, value);
      form.append("file", new Blob([new Uint8Array(file)]), "blob");
      const encoded = new Response(form);
      return rawRequest(url, {
        method: "POST",
        body: Buffer.from(await encoded.arrayBuffer()),
        headers: { "content-type": encoded.headers.get("content-type") ?? "" },
      });
    }
    async function post(
      policy: Parameters<RgwPresignd["client"]["service"]["postPolicy"]>[0],
      file: Buffer,
      change: (fields: Record<string, string>) => Record<string, string> = (f) => f,
    ) {
      const res = await p.client.service.postPolicy(policy);
      return sendForm(res.url, change({ ...res.fields }), file);
    }
    const base = { key: "policy/target.txt", maxContentLength: 10n, minContentLength: 2n };

    it("a file within the policy → 204", async () => expect(post(base, Buffer.from("fits")), 204, ""));
    it("a file over max_content_length → 400 EntityTooLarge", async () =>
      expect(post(base, Buffer.from("much too large")), 400, "EntityTooLarge"));
    it("a file under min_content_length → 400 EntityTooSmall", async () =>
      expect(post(base, Buffer.from("x")), 400, "EntityTooSmall"));
    it("a key outside the prefix → 403 AccessDenied", async () =>
      expect(
        post({ ...base, key: "", keyPrefix: "policy/mine/" }, Buffer.from("fits"), (f) => ({
          ...f,
          key: "policy/theirs/x",
        })),
        403,
        "AccessDenied",
      ));
    it("a key escaping the prefix with .. → 403 AccessDenied", async () =>
      expect(
        post({ ...base, key: "", keyPrefix: "policy/mine/" }, Buffer.from("fits"), (f) => ({
          ...f,
          key: "policy/../x",
        })),
        403,
        "AccessDenied",
      ));
    it("a different Content-Type → 403 AccessDenied", async () =>
      expect(
        post({ ...base, contentType: "text/plain" }, Buffer.from("fits"), (f) => ({
          ...f,
          "Content-Type": "text/html",
        })),
        403,
        "AccessDenied",
      ));
    it("a Content-Type outside the prefix → 403 AccessDenied", async () =>
      expect(
        post({ ...base, contentTypePrefix: "image/" }, Buffer.from("fits"), (f) => ({
          ...f,
          "Content-Type": "text/html",
        })),
        403,
        "AccessDenied",
      ));
    it("an extra field the policy does not name → 403 AccessDenied", async () =>
      expect(
        post(base, Buffer.from("fits"), (f) => ({ ...f, "x-amz-meta-evil": "1" })),
        403,
        "AccessDenied",
      ));
    it("a tampered policy → 403 AccessDenied (RGW's code for a policy signature mismatch)", async () =>
      expect(
        post(base, Buffer.from("fits"), (f) => {
          const doc = JSON.parse(Buffer.from(f.Policy ?? "", "base64").toString());
          doc.conditions = doc.conditions.map((c: unknown) =>
            Array.isArray(c) && c[0] === "content-length-range" ? ["content-length-range", 0, 1e9] : c,
          );
          return { ...f, Policy: Buffer.from(JSON.stringify(doc)).toString("base64") };
        }),
        403,
        "AccessDenied",
      ));
    it("a policy signature for another document → 403 AccessDenied", async () => {
      const other = await p.client.service.postPolicy({ ...base, maxContentLength: 1000n });
      await expect(
        post(base, Buffer.from("much too large"), (f) => ({ ...f, Policy: other.fields.Policy ?? "" })),
        403,
        "AccessDenied",
      );
    });
    it("an expired policy → 403 AccessDenied", async () => {
      const res = await p.client.service.postPolicy({ ...base, expiresIn: { seconds: 1n } });
      await new Promise((resolve) => setTimeout(resolve, 2100));
      await expect(sendForm(res.url, res.fields, Buffer.from("fits")), 403, "AccessDenied");
    });
  });
});
