import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { RunningServer } from "../../src/server/start.js";
import { startProductionServer } from "../support/production-server.js";
import { serverForSuite } from "../support/test-server.js";

// The development page's route (src/server/http/dev-page.ts) serves the files `npm run build`
// writes to dist/browser/ (run it first); the page itself is driven in test/debian/browser-page.test.ts.
describe("the development page in --dev", () => {
  const suite = serverForSuite();

  it("GET / is the page, loading its script as a module, with a CSP that allows no inline script", async () => {
    const res = await fetch(`${suite.server.url}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    const html = await res.text();
    assert.match(html, /<script type="module" src="\/dev-page\/dev-page\.js"><\/script>/);
    for (const id of ["file", "key", "upload", "upload-post", "cancel", "progress", "status", "uploads"]) {
      assert.match(html, new RegExp(`id="${id}"`), `#${id} is on the page`);
    }
  });

  it("serves the client bundle and the page's script and style; HEAD too", async () => {
    const page = await (await fetch(`${suite.server.url}/dev-page/dev-page.js`)).text();
    assert.match(page, /from"\.\/presignd-client\.js"/, "the page imports the client from its bundle");
    const bundle = await fetch(`${suite.server.url}/dev-page/presignd-client.js`);
    assert.equal(bundle.headers.get("content-type"), "text/javascript; charset=utf-8");
    assert.match(await bundle.text(), /createPresignClient/);
    const css = await fetch(`${suite.server.url}/dev-page/dev-page.css`, { method: "HEAD" });
    assert.equal(css.status, 200);
    assert.equal(css.headers.get("content-type"), "text/css; charset=utf-8");
    assert.ok(Number(css.headers.get("content-length")) > 0);
  });

  it("serves nothing else: other paths under /dev-page/ and other methods are not found", async () => {
    for (const path of ["/dev-page/", "/dev-page/../package.json", "/dev-page/%2e%2e/package.json", "/index.html"]) {
      const res = await fetch(`${suite.server.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { code: string }).code, "not_found", path);
    }
    const post = await fetch(`${suite.server.url}/`, { method: "POST", body: "x" });
    assert.notEqual(post.status, 200);
  });
});

describe("the development page outside --dev", () => {
  let server: RunningServer;
  before(async () => {
    server = await startProductionServer({
      bucket: ["production"],
      endpoint: "http://127.0.0.1:9",
      region: "us-east-1",
    });
  });
  after(() => server?.close());

  it("is not served: GET / and its assets are 404 as before", async () => {
    for (const path of ["/", "/dev-page/dev-page.js", "/dev-page/presignd-client.js"]) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.equal(((await res.json()) as { code: string }).code, "not_found", path);
    }
  });
});
