import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** The test suite's webhook secret (test/log-scan.test.ts looks for it in every log line). */
export const WEBHOOK_SECRET = `whsec_${Buffer.from("presignd test webhook secret, 32B").toString("base64")}`;

/** One POST the receiver got. */
export interface ReceivedHook {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  /** performance.now() when it arrived. */
  readonly at: number;
  /** The status the receiver answered. */
  readonly status: number;
}

export interface WebhookReceiver {
  readonly url: string;
  readonly received: ReceivedHook[];
  /** Waits until `count` requests arrived (or fails after `ms`). */
  waitFor(count: number, ms?: number): Promise<ReceivedHook[]>;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 that records every request; `answer` picks
 * each one's status (default 200) from the request and how many came before.
 */
export async function startWebhookReceiver(
  answer: (hook: { headers: IncomingHttpHeaders; body: string }, index: number) => number = () => 200,
): Promise<WebhookReceiver> {
  const received: ReceivedHook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const status = answer({ headers: req.headers, body }, received.length);
      received.push({ headers: req.headers, body, at: performance.now(), status });
      res.writeHead(status, { "content-type": "text/plain" }).end(status < 300 ? "ok" : "no");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/presignd`,
    received,
    async waitFor(count, ms = 15_000) {
      const deadline = Date.now() + ms;
      while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      if (received.length < count) throw new Error(`${received.length} webhook requests within ${ms} ms, not ${count}`);
      return received;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
