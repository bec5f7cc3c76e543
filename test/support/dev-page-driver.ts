import type { Browser, Page } from "playwright-core";

/** What the dev page reports on `document` (see src/server/dev-page/dev-page.ts). */
export interface PageProgress {
  readonly transferred: number;
  readonly total?: number;
}
export interface PageDone {
  readonly key: string;
  readonly how: string;
  readonly result: Record<string, unknown>;
}
export interface PageFailure {
  readonly state: "cancelled" | "error";
  readonly message: string;
}
export interface PageOutcome {
  readonly done?: PageDone;
  readonly failed?: PageFailure;
}

interface Recorded {
  progress: PageProgress[];
  outcome: PageOutcome | undefined;
}

declare global {
  interface Window {
    presignedDevPage?: Recorded;
  }
}

/** Long transfers on 2 shared cores: a 64 MiB upload may take a while. */
const TRANSFER_TIMEOUT_MS = 180_000;

/**
 * Drives the --dev page (served at `url`, e.g. presignd's "/" or a copy
 * with ?server=) through its stable ids, as a person would: pick a file,
 * click, wait for the status. Records the page's progress and outcome events.
 */
export class DevPageDriver {
  private constructor(readonly page: Page) {}

  /**
   * Opens the page. `uploadBytesPerSecond` throttles its uploads (DevTools'
   * network emulation), as on a real link: loopback is so fast that a 20 MiB
   * PUT reports two progress events and a reload comes after the end.
   */
  static async open(browser: Browser, url: string, uploadBytesPerSecond?: number): Promise<DevPageDriver> {
    const page = await browser.newPage({ viewport: { width: 900, height: 760 } });
    if (uploadBytesPerSecond !== undefined) {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Network.enable");
      await cdp.send("Network.emulateNetworkConditions", {
        offline: false,
        latency: 0,
        downloadThroughput: -1,
        uploadThroughput: uploadBytesPerSecond,
      });
    }
    await page.addInitScript(() => {
      const recorded: Recorded = { progress: [], outcome: undefined };
      window.presignedDevPage = recorded;
      document.addEventListener("presignd:progress", (e) => {
        recorded.progress.push((e as CustomEvent<PageProgress>).detail);
      });
      document.addEventListener("presignd:done", (e) => {
        recorded.outcome = { done: (e as CustomEvent<PageDone>).detail };
      });
      document.addEventListener("presignd:failed", (e) => {
        recorded.outcome = { failed: (e as CustomEvent<PageFailure>).detail };
      });
    });
    const driver = new DevPageDriver(page);
    await driver.load(() => page.goto(url));
    return driver;
  }

  /** Reloads the page (an upload under way is cut off, as when a person presses F5). */
  reload(): Promise<void> {
    return this.load(() => this.page.reload());
  }

  private async load(navigate: () => Promise<unknown>): Promise<void> {
    await navigate();
    // The module script has run once the server's URL is shown.
    await this.page.waitForFunction(() => document.getElementById("server")?.textContent !== "");
  }

  async pick(path: string, key = ""): Promise<void> {
    await this.page.setInputFiles("#file", path);
    await this.page.fill("#key", key);
  }

  /** Clicks Upload (PUT) or Upload as a POST form, without waiting. */
  async start(how: "put" | "post"): Promise<void> {
    await this.reset();
    await this.page.click(how === "put" ? "#upload" : "#upload-post");
  }

  private reset(): Promise<void> {
    return this.page.evaluate(() => {
      (window.presignedDevPage as Recorded).progress = [];
      (window.presignedDevPage as Recorded).outcome = undefined;
    });
  }

  /** Waits for the transfer under way to finish or fail. */
  async outcome(): Promise<PageOutcome> {
    const handle = await this.page.waitForFunction(() => window.presignedDevPage?.outcome, undefined, {
      timeout: TRANSFER_TIMEOUT_MS,
    });
    return (await handle.jsonValue()) as PageOutcome;
  }

  /** Uploads the picked file and returns what the page reported done; fails with the page's message. */
  async upload(how: "put" | "post"): Promise<PageDone> {
    await this.start(how);
    const outcome = await this.outcome();
    if (!outcome.done) throw new Error(`the page says: ${outcome.failed?.message}`);
    return outcome.done;
  }

  progress(): Promise<PageProgress[]> {
    return this.page.evaluate(() => window.presignedDevPage?.progress ?? []);
  }

  /** Waits until the transfer under way has reported at least `bytes`. */
  async waitForProgress(bytes: number): Promise<void> {
    await this.page.waitForFunction(
      (min) => (window.presignedDevPage?.progress ?? []).some((p) => p.transferred >= min),
      bytes,
      { timeout: TRANSFER_TIMEOUT_MS, polling: 20 },
    );
  }

  cancel(): Promise<void> {
    return this.page.click("#cancel");
  }

  /** The keys the page lists as uploaded in this session. */
  uploadedKeys(): Promise<string[]> {
    return this.page.$$eval("#uploads li", (items) => items.map((li) => (li as HTMLElement).dataset.key ?? ""));
  }

  /** Clicks the object's Download button; resolves to the SHA-256 the page computed (hex) and the size. */
  async download(key: string): Promise<{ sha256: string; bytes: number }> {
    await this.reset();
    await this.page.click(`#uploads li[data-key="${key}"] button.download`);
    const outcome = await this.outcome();
    if (!outcome.done) throw new Error(`the page says: ${outcome.failed?.message}`);
    const sha256 = await this.page.getAttribute(`#uploads li[data-key="${key}"]`, "data-sha256");
    return { sha256: sha256 ?? "", bytes: Number(outcome.done.result.bytes) };
  }

  /**
   * Parts the client has saved in the page's IndexedDB resume store for the
   * key (the record of @presignd/client's indexedDbStateStore()); 0 before any.
   */
  savedParts(key: string, bucket = ""): Promise<number> {
    return this.page.evaluate(
      (id) =>
        new Promise<number>((resolve) => {
          const open = indexedDB.open("presignd-transfers", 1);
          // Not created yet: leave it to the client to create.
          open.onupgradeneeded = () => open.transaction?.abort();
          open.onerror = () => resolve(0);
          open.onsuccess = () => {
            const db = open.result;
            const get = db.transaction("state").objectStore("state").get(id);
            get.onsuccess = () => {
              db.close();
              const text = get.result as string | undefined;
              resolve(text ? Object.keys((JSON.parse(text) as { parts: object }).parts).length : 0);
            };
            get.onerror = () => resolve(0);
          };
        }),
      `upload:${bucket}/${key}`,
    );
  }

  screenshot(path: string): Promise<Buffer> {
    return this.page.screenshot({ path, fullPage: true });
  }

  close(): Promise<void> {
    return this.page.close();
  }
}
