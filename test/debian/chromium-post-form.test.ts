import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { connectPresignd, type NodePresignClient } from "../../src/cli/node-client.js";
import { launchChromium } from "../support/chromium.js";
import { collector } from "../support/collect.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// A real browser (Debian's chromium, installed by .ci/run) submits a plain
// HTML form built from PostPolicy's answer: hidden fields, file input last.

describe("an HTML form uploads with PostPolicy fields in Chromium", () => {
  let server: TestServer;
  let client: NodePresignClient;
  let browser: Browser;
  let dir: string;
  before(async () => {
    server = await startTestServer();
    client = connectPresignd({ baseUrl: server.url });
    dir = await mkdtemp(join(tmpdir(), "presignd-browser-"));
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("submits the form and the object lands with the signed content type", async () => {
    const policy = await client.service.postPolicy({
      key: "browser/photo.txt",
      maxContentLength: 1024n,
      contentType: "text/plain",
      successActionStatus: 201,
    });
    const hidden = Object.entries(policy.fields)
      .map(([name, value]) => `<input type="hidden" name="${htmlEscape(name)}" value="${htmlEscape(value)}">`)
      .join("\n");
    const page = await browser.newPage();
    await page.setContent(
      `<form action="${htmlEscape(policy.url)}" method="post" enctype="multipart/form-data">
        ${hidden}
        <input type="file" name="file">
        <button type="submit">Upload</button>
      </form>`,
    );
    const file = join(dir, "photo.txt");
    await writeFile(file, "uploaded by a browser");
    await page.setInputFiles("input[type=file]", file);
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().startsWith(policy.url) && r.request().method() === "POST"),
      page.click("button"),
    ]);
    assert.equal(response.status(), 201);
    assert.match(await response.text(), /<Key>browser\/photo\.txt<\/Key>/);

    const sink = collector();
    await client.download("browser/photo.txt", sink.writable);
    assert.equal(sink.bytes().toString(), "uploaded by a browser");
    const head = await fetch((await client.service.getObject({ key: "browser/photo.txt" })).url);
    assert.equal(head.headers.get("content-type"), "text/plain");
  });
});

function htmlEscape(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
}
