import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { serverForSuite } from "../support/test-server.js";

// s3rver canonicalises a SigV4 query with encodeURIComponent (! ' ( ) * unescaped);
// the embedded S3 checks such requests exactly and then serves them (s3rver-query-encoding.ts).
describe("the embedded S3 serves presigned queries with ! ' ( ) * as S3 does", () => {
  const suite = serverForSuite();
  const quoted = 'attachment; filename="it\'s (1).txt"';
  const dispositions = [quoted, "inline; filename*=UTF-8''%E6%95%B0.txt"];

  it("answers a GET whose response-content-disposition holds them, with that header", async () => {
    await suite.client.upload("enc/a.txt", Buffer.from("hello"));
    for (const contentDisposition of dispositions) {
      const presigned = await suite.client.service.getObject({ key: "enc/a.txt", overrides: { contentDisposition } });
      assert.match(new URL(presigned.url).search, /%2A|%27|%28/, "the URL escapes them, as SigV4 does");
      const res = await fetch(presigned.url);
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(res.headers.get("content-disposition"), contentDisposition);
      assert.equal(await res.text(), "hello");
    }
  });

  it("still refuses a tampered signature, and a tampered value, with SignatureDoesNotMatch", async () => {
    const presigned = await suite.client.service.getObject({
      key: "enc/a.txt",
      overrides: { contentDisposition: quoted },
    });
    const signature = new URL(presigned.url);
    const value = signature.searchParams.get("X-Amz-Signature") ?? "";
    signature.searchParams.set("X-Amz-Signature", `${value.slice(0, -1)}${value.endsWith("0") ? "1" : "0"}`);
    const other = new URL(presigned.url);
    other.searchParams.set("response-content-disposition", 'attachment; filename="other (2).txt"');
    for (const url of [signature, other]) {
      const res = await fetch(url);
      assert.equal(res.status, 403);
      assert.match(await res.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
    }
  });
});
