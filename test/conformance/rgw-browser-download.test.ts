import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { downloadInChromium, launchChromium } from "../support/chromium.js";
import { presigndForRgw, type RgwPresignd, rgwFromEnv } from "../support/rgw.js";

// download_filename (issue #14) against RGW: the Content-Disposition RGW serves from the signed
// response-content-disposition, as Chromium saves it, for names in any script.
describe("Chromium saves an RGW download under its download_filename", () => {
  const rgw = rgwFromEnv();
  let p: RgwPresignd;
  let browser: Browser;
  before(async () => {
    p = await presigndForRgw(rgw);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await p?.server.close();
  });

  const names = ["Résumé 2026.pdf", "数据 (final).csv", 'say "hi" — it\'s 😀.txt'];
  for (const name of names) {
    it(JSON.stringify(name), async () => {
      const body = Buffer.from(`the bytes of ${name}`);
      await p.client.upload("downloads/named.bin", body);
      const presigned = await p.client.service.getObject({
        key: "downloads/named.bin",
        overrides: { downloadFilename: name },
      });
      const saved = await downloadInChromium(browser, presigned.url);
      // Chromium itself replaces characters no file system allows everywhere (here ") with "_".
      assert.equal(saved.name, name.replaceAll('"', "_"));
      assert.deepEqual(saved.bytes, body);
    });
  }
});
