import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { devPage } from "../../src/server/http/dev-page.js";

/**
 * The dev page on an origin of its own (http://127.0.0.1:PORT), for a
 * presignd that does not serve it (outside --dev): open it with
 * ?server=<presignd's URL>, which must allow this origin (--cors-origin).
 */
export async function serveDevPage(): Promise<{ readonly origin: string; close(): Promise<void> }> {
  const server = createServer(devPage);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
