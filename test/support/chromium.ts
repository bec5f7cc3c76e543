import { readFile } from "node:fs/promises";
import { type Browser, chromium } from "playwright-core";

/** Debian's Chromium (.ci/run installs it); CHROMIUM_PATH overrides. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/**
 * Headless Chromium as root on a machine with no network: no sandbox, no GPU,
 * and none of its background connections (refused here, many at a time).
 */
export function launchChromium(extraArgs: readonly string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      ...extraArgs,
    ],
  });
}

/** What Chromium saves when it navigates to `url` (a download): the file name it suggests, and the bytes. */
export async function downloadInChromium(browser: Browser, url: string): Promise<{ name: string; bytes: Buffer }> {
  const context = await browser.newContext({ acceptDownloads: true });
  try {
    const page = await context.newPage();
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.evaluate((target) => {
        location.href = target;
      }, url),
    ]);
    return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) };
  } finally {
    await context.close();
  }
}
