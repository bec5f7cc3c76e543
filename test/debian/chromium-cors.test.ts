import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { connectPresignd } from "../../src/cli/node-client.js";
import { launchChromium } from "../support/chromium.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// Debian's Chromium (installed by .ci/run) on a page of another origin calls GetObject over
// Connect with fetch, then fetches the object from the embedded S3 with the signed URL.
const ALLOWED_HOST = "app.test";
const OTHER_HOST = "evil.test";

describe("a page on another origin calls presignd from Chromium (CORS)", () => {
  let pages: Server;
  let server: TestServer;
  let browser: Browser;
  let pagePort: number;
  before(async () => {
    pages = createServer((_req, res) => res.writeHead(200, { "content-type": "text/html" }).end("<p>page</p>"));
    await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
    pagePort = (pages.address() as AddressInfo).port;
    server = await startTestServer({ corsOrigin: [`http://${ALLOWED_HOST}:${pagePort}`] });
    await connectPresignd({ baseUrl: server.url }).upload(
      "greetings/hello.txt",
      new TextEncoder().encode("hello, browser"),
    );
    browser = await launchChromium([
      `--host-resolver-rules=MAP ${ALLOWED_HOST} 127.0.0.1, MAP ${OTHER_HOST} 127.0.0.1`,
    ]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await new Promise((resolve) => pages?.close(resolve));
  });

  /** Runs GetObject + the signed GET inside a page served from http://HOST:pagePort. */
  async function fromPage(host: string): Promise<string> {
    const page = await browser.newPage();
    try {
      await page.goto(`http://${host}:${pagePort}/`);
      return await page.evaluate(async (rpc: string) => {
        try {
          const answer = await fetch(rpc, {
            method: "POST",
            headers: { "content-type": "application/json", "connect-protocol-version": "1" },
            body: JSON.stringify({ key: "greetings/hello.txt" }),
          });
          const { url } = (await answer.json()) as { url: string };
          return await (await fetch(url)).text();
        } catch (error) {
          return `refused: ${(error as Error).name}`;
        }
      }, `${server.url}/presign.v1.PresignService/GetObject`);
    } finally {
      await page.close();
    }
  }

  it("succeeds from the allowed origin", async () => {
    assert.equal(await fromPage(ALLOWED_HOST), "hello, browser");
  });

  it("is refused from an origin that is not allowed", async () => {
    assert.equal(await fromPage(OTHER_HOST), "refused: TypeError");
  });
});
