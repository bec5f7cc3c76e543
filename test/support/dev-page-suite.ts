import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { launchChromium } from "./chromium.js";
import { DevPageDriver } from "./dev-page-driver.js";
import { ROOT } from "./run.js";
import { tempDir } from "./temp-dir.js";
import { waitFor } from "./wait-for.js";

const MiB = 1024 * 1024;
/** A fast link, slow enough for progress to show and for a reload or a cancel to land mid-upload. */
const UPLOAD_BYTES_PER_SECOND = 32 * MiB;

/** Where the page is and what the S3 behind it holds. */
export interface DevPageTarget {
  /** The page's URL (presignd's "/" in --dev, or a copy of the page with ?server=). */
  readonly pageUrl: string;
  /** Multipart uploads in progress at S3 under a key prefix. */
  multipartUploads(prefix: string): Promise<number>;
  /** When a WatchUploads watcher of "page/" runs beside the page: the keys it saw land so far. */
  landed?(): readonly string[];
  close(): Promise<void>;
}

/** Screenshots land here (ignored by git), e.g. .presignd/screenshots/dev-page-rgw.png. */
export const SCREENSHOTS = join(ROOT, ".presignd", "screenshots");

const sha256 = (bytes: Buffer) => createHash("sha256").update(bytes).digest("hex");

/**
 * The dev page's scenarios of issue #11 in Debian's Chromium, against the
 * target `start` brings up: a 20 MiB PUT with progress, a download compared
 * by SHA-256, 64 MiB in parallel parts resumed after a reload, a POST form,
 * a cancelled upload that leaves nothing at S3, and a screenshot.
 */
export function devPageSuite(name: string, start: () => Promise<DevPageTarget>): void {
  describe(`the dev page in Chromium (${name})`, () => {
    let target: DevPageTarget;
    let browser: Browser;
    let driver: DevPageDriver;
    const dir = tempDir("presignd-dev-page-");
    const files = {
      photo: { path: join(dir, "photo.bin"), bytes: randomBytes(20 * MiB) },
      big: { path: join(dir, "big.bin"), bytes: randomBytes(64 * MiB) },
      note: { path: join(dir, "note.txt"), bytes: Buffer.from("uploaded through a POST form\n") },
    };
    for (const file of Object.values(files)) writeFileSync(file.path, file.bytes);

    before(async () => {
      target = await start();
      browser = await launchChromium();
      driver = await DevPageDriver.open(browser, target.pageUrl, UPLOAD_BYTES_PER_SECOND);
    });
    after(async () => {
      await browser?.close();
      await target?.close();
    });

    it("uploads a 20 MiB file by one PUT, with progress events up to the total", async () => {
      await driver.pick(files.photo.path, "page/photo.bin");
      const done = await driver.upload("put");
      assert.equal(done.key, "page/photo.bin");
      assert.equal(done.result.parts, undefined, "one PUT, not multipart");
      const progress = await driver.progress();
      const sent = progress.map((p) => p.transferred);
      assert.ok(new Set(sent).size >= 4, `several progress events: ${sent.join(", ")}`);
      sent.reduce((previous, n) => {
        assert.ok(n >= previous, `progress never goes back: ${sent.join(", ")}`);
        return n;
      }, 0);
      assert.deepEqual(progress.at(-1), { transferred: 20 * MiB, total: 20 * MiB });
      assert.deepEqual(await driver.uploadedKeys(), ["page/photo.bin"]);
    });

    it("downloads it back as a Blob with the same SHA-256", async () => {
      const got = await driver.download("page/photo.bin");
      assert.deepEqual(got, { sha256: sha256(files.photo.bytes), bytes: 20 * MiB });
    });

    it("uploads 64 MiB in parallel parts, and after a reload mid-upload resumes when the file is picked again", async () => {
      await driver.pick(files.big.path, "page/big.bin");
      await driver.start("put");
      await waitFor(async () => ((await driver.savedParts("page/big.bin")) >= 1 ? true : undefined), 120_000);
      await driver.reload();
      assert.ok(
        (await driver.savedParts("page/big.bin")) >= 1,
        "the reload cut the upload off: its state is still saved",
      );
      await driver.pick(files.big.path, "page/big.bin");
      const done = await driver.upload("put");
      assert.equal(done.result.parts, 8, "8 MiB parts");
      assert.ok(Number(done.result.resumedParts) > 0, `resumed parts: ${done.result.resumedParts}`);
      assert.match(
        await driver.page.innerText('#uploads li[data-key="page/big.bin"]'),
        /8 parts, [1-7] resumed/,
        "the page says how many parts were resumed",
      );
      assert.equal(await driver.savedParts("page/big.bin"), 0, "the finished upload's state is deleted");
      assert.deepEqual(await driver.uploadedKeys(), ["page/photo.bin", "page/big.bin"], "kept across the reload");
      const got = await driver.download("page/big.bin");
      assert.deepEqual(got, { sha256: sha256(files.big.bytes), bytes: 64 * MiB });
    });

    it("a watcher of page/ saw the page's PUT and multipart uploads land (when the target runs one)", async (t) => {
      const landed = target.landed;
      if (!landed) {
        t.diagnostic("this target runs no watcher");
        return;
      }
      await waitFor(async () => (landed().length >= 2 ? true : undefined), 20_000);
      assert.deepEqual([...landed()].sort(), ["page/big.bin", "page/photo.bin"]);
    });

    it("uploads through a POST form under uploads/ plus the file's name", async () => {
      await driver.pick(files.note.path);
      const done = await driver.upload("post");
      assert.equal(done.key, "uploads/note.txt");
      assert.equal((await driver.progress()).at(-1)?.transferred, files.note.bytes.byteLength);
      const got = await driver.download("uploads/note.txt");
      assert.deepEqual(got, { sha256: sha256(files.note.bytes), bytes: files.note.bytes.byteLength });
    });

    it("cancels an upload mid-way and leaves no multipart upload at S3", async () => {
      await driver.pick(files.big.path, "cancelled/big.bin");
      await driver.start("put");
      await driver.waitForProgress(1);
      assert.equal(await target.multipartUploads("cancelled/"), 1, "the upload is under way at S3");
      await driver.cancel();
      const outcome = await driver.outcome();
      assert.equal(outcome.failed?.state, "cancelled", JSON.stringify(outcome));
      await waitFor(async () => ((await target.multipartUploads("cancelled/")) === 0 ? true : undefined), 10_000);
      assert.equal(await driver.savedParts("cancelled/big.bin"), 0, "no resume state kept for a cancel");
      assert.ok(!(await driver.uploadedKeys()).includes("cancelled/big.bin"));
    });

    it("looks like a page: a screenshot", async () => {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const path = join(SCREENSHOTS, `dev-page-${name}.png`);
      await driver.screenshot(path);
      const png = await readFile(path);
      assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "a PNG");
      assert.ok(png.byteLength > 10_000, `not blank: ${png.byteLength} bytes`);
    });
  });
}
