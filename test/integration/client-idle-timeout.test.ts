import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { isTimeoutError, TransferTimeoutError } from "@presignd/client/node";
import { connectPresignd, type NodePresignClient } from "../../src/cli/node-client.js";
import { collector } from "../support/collect.js";
import { type StallProxy, startStallProxy } from "../support/stall-proxy.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// The per-request idle timeout (issue #11): S3 that stops reading mid-PUT (a
// store that filled up) or stops sending mid-GET must not hang a transfer.
// The presigned URLs go through a TCP proxy that stalls after some bytes
// (it stops reading from either side, so socket buffers fill and nothing moves).

const MiB = 1024 * 1024;
const IDLE = 500;
const RETRIES = 2;
/** Every attempt waits the idle timeout; backoff adds at most 250 + 500 ms; the rest is slack for a busy machine. */
const UPPER_BOUND = (RETRIES + 1) * IDLE + 750 + 3000;

describe("a transfer whose connection stalls times out, retries, then fails; or recovers", () => {
  // Larger than loopback's socket buffers on both sides of the proxy, so a stall stops the sender.
  const data = randomBytes(32 * MiB);
  let server: TestServer;
  let proxy: StallProxy;
  let client: NodePresignClient;
  let dir: string;
  before(async () => {
    proxy = await startStallProxy();
    server = await startTestServer({ publicEndpoint: proxy.url, logLevel: "warn" });
    proxy.upstreamPort = Number(new URL(server.devS3Endpoint ?? assert.fail("dev S3")).port);
    client = connectPresignd({ baseUrl: server.url });
    dir = await mkdtemp(join(tmpdir(), "presignd-idle-"));
    await client.upload("idle/object.bin", data);
  });
  after(async () => {
    await server.close();
    await proxy.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs the transfer with the proxy stalling after `bytes`; the error (or none) and how long it took. */
  async function stalled(bytes: number, transfer: () => Promise<unknown>) {
    proxy.stallAfter(bytes);
    const started = performance.now();
    try {
      const error = await transfer().then(
        () => undefined,
        (e: unknown) => e,
      );
      return { error, elapsed: performance.now() - started };
    } finally {
      proxy.stallAfter(undefined);
    }
  }

  function assertTimedOut(outcome: { error: unknown; elapsed: number }): void {
    assert.ok(outcome.error instanceof TransferTimeoutError && isTimeoutError(outcome.error), String(outcome.error));
    assert.equal(outcome.error.idleTimeoutMs, IDLE);
    assert.match(outcome.error.message, /no bytes moved for 0\.5 s/);
    // Not before every attempt had waited its idle timeout (so it retried), and not much after.
    assert.ok(
      outcome.elapsed >= (RETRIES + 1) * IDLE,
      `failed after ${outcome.elapsed} ms: too soon for ${RETRIES} retries`,
    );
    assert.ok(outcome.elapsed < UPPER_BOUND, `failed after ${outcome.elapsed} ms`);
  }

  it("(a) a PUT that S3 stops reading retries, then fails with TransferTimeoutError", async () => {
    const outcome = await stalled(2 * MiB, () =>
      client.upload("idle/stalled-put.bin", data, { idleTimeout: IDLE, retries: RETRIES }),
    );
    assertTimedOut(outcome);
  });

  it("(b) a sequential GET whose server stops sending mid-body times out the same way", async () => {
    const sink = collector();
    const outcome = await stalled(2 * MiB, () =>
      client.download("idle/object.bin", sink.writable, { idleTimeout: IDLE, retries: RETRIES }),
    );
    assertTimedOut(outcome);
    assert.ok(sink.bytes().length < data.length);
  });

  it("(b) a ranged GET into a file times out the same way and leaves no file behind", async () => {
    const target = join(dir, "stalled.bin");
    const outcome = await stalled(2 * MiB, () =>
      client.download("idle/object.bin", target, { idleTimeout: IDLE, retries: RETRIES, concurrency: 1 }),
    );
    assertTimedOut(outcome);
    assert.ok(!existsSync(target) && !existsSync(`${target}.presignd-partial`));
  });

  it("(c) with retries, a PUT after a transient stall succeeds", async () => {
    // The stall ends when the stalled attempt gives up: its bytes are taken back from the progress.
    let peak = 0;
    let last = 0;
    let retried = false;
    proxy.stallAfter(2 * MiB);
    try {
      await client.upload("idle/recovered-put.bin", data, {
        // Long enough for the embedded S3 to hash and store 32 MiB before it answers (1.4 s seen on a busy machine).
        idleTimeout: 10 * IDLE,
        retries: 3,
        onProgress: ({ transferred }) => {
          if (transferred < peak && !retried) {
            retried = true;
            proxy.stallAfter(undefined);
          }
          peak = Math.max(peak, transferred);
          last = transferred;
        },
      });
    } finally {
      proxy.stallAfter(undefined);
    }
    assert.ok(retried, "the first attempt timed out and was retried");
    // The abandoned attempt's bytes are taken back once, and none are counted after it ended.
    assert.equal(last, data.length);
    assert.ok(peak <= data.length, `progress reached ${peak} of ${data.length} bytes`);
    const target = join(dir, "recovered-put.bin");
    await client.download("idle/recovered-put.bin", target);
    assert.ok((await readFile(target)).equals(data));
  });

  it("(c) with retries, a download after a transient stall succeeds", async () => {
    // The stall lasts 1.5 idle timeouts: the first attempt gives up after one
    // (its last bytes arrive just after the stall began), a later one goes through.
    const sink = collector();
    proxy.stallAfter(2 * MiB);
    const started = performance.now();
    const running = client.download("idle/object.bin", sink.writable, { idleTimeout: IDLE, retries: 3 });
    try {
      await proxy.stalled();
      await sleep(1.5 * IDLE);
    } finally {
      proxy.stallAfter(undefined);
    }
    await running;
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 1.5 * IDLE, `took ${elapsed} ms`);
    assert.ok(sink.bytes().equals(data));
  });
});
