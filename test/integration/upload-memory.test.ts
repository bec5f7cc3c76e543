import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { tempDir } from "../support/temp-dir.js";
import { serverForSuite } from "../support/test-server.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const MiB = 1024 * 1024;

/** How far `process.memoryUsage().arrayBuffers` rises above its level after a GC while `run` runs (sampled every 10 ms). */
async function arrayBufferGrowth(run: () => Promise<unknown>): Promise<number> {
  gc();
  const before = process.memoryUsage().arrayBuffers;
  let peak = before;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }, 10);
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage().arrayBuffers) - before;
}

// fetch clones a request whose redirects it may follow, teeing the body: the
// unread branch of the tee then holds every byte sent (undici, Node 20).
describe("an upload streams a file without holding it in memory", () => {
  const suite = serverForSuite();
  const dir = tempDir("presignd-upload-memory-");

  // The embedded S3 runs in this process and its buffers count too: 32 MiB
  // on Node 20, 65 MiB on Node 24. A teed body holds all 96 MiB (107 MiB
  // measured before the fix), so staying under the file's size tells them apart.
  it("one PUT of a 96 MiB file keeps under 96 MiB of buffers (a teed body would hold all of it)", async () => {
    const path = join(dir, "big.bin");
    await writeFile(path, randomBytes(96 * MiB));
    const growth = await arrayBufferGrowth(() =>
      suite.client.upload("memory/big.bin", path, { multipartThreshold: 128 * MiB }),
    );
    assert.ok(growth < 96 * MiB, `buffers grew by ${(growth / MiB).toFixed(0)} MiB during the PUT`);
  });
});
