import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { connectPresignd } from "../../src/cli/node-client.js";
import { downloadInChromium, launchChromium } from "../support/chromium.js";
import { type DevServerProcess, startDevServerProcess } from "../support/dev-server-process.js";

// download_filename (issue #14): what Chromium saves a presigned GET as, for names in any script.
describe("Chromium saves a download under its download_filename", () => {
  let dev: DevServerProcess;
  let browser: Browser;
  before(async () => {
    dev = await startDevServerProcess();
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await dev?.close();
  });

  const names = ["report.pdf", "Résumé 2026.pdf", "数据 (final).csv", 'say "hi" — it\'s 😀.txt'];
  for (const name of names) {
    it(JSON.stringify(name), async () => {
      const client = connectPresignd({ baseUrl: dev.url });
      const body = Buffer.from(`the bytes of ${name}`);
      await client.upload("downloads/object.bin", body);
      const presigned = await client.service.getObject({
        key: "downloads/object.bin",
        overrides: { downloadFilename: name },
      });
      const saved = await downloadInChromium(browser, presigned.url);
      // Chromium itself replaces characters no file system allows everywhere (here ") with "_".
      assert.equal(saved.name, name.replaceAll('"', "_"));
      assert.deepEqual(saved.bytes, body);
    });
  }
});
