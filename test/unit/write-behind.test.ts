import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { WRITE_BATCH_BYTES, WriteBehind } from "../../src/client/download/write-behind.js";

const chunk = (byte: number, size = WRITE_BATCH_BYTES / 4) => new Uint8Array(size).fill(byte);

/** A write that finishes when the test says so. */
function heldWrites() {
  const calls: { bytes: number; first: number; release(error?: Error): void }[] = [];
  const write = (chunks: readonly Uint8Array[], bytes: number) =>
    new Promise<void>((resolve, reject) => {
      calls.push({ bytes, first: chunks[0]?.[0] ?? -1, release: (error) => (error ? reject(error) : resolve()) });
    });
  return { calls, write };
}

describe("WriteBehind: batched writes behind the socket reads", () => {
  it("writes ~1 MiB batches in order, and the rest on flush", async () => {
    const written: number[][] = [];
    const writer = new WriteBehind(async (chunks) => {
      written.push(chunks.map((c) => c[0] ?? -1));
    });
    for (let i = 0; i < 9; i++) await writer.add(chunk(i));
    await writer.flush();
    assert.deepEqual(written, [[0, 1, 2, 3], [4, 5, 6, 7], [8]]);
  });

  it("keeps reading while one batch is written, and waits when a second one is full", async () => {
    const { calls, write } = heldWrites();
    const writer = new WriteBehind(write);
    for (let i = 0; i < 4; i++) await writer.add(chunk(1));
    assert.equal(calls.length, 1, "the first full batch is being written");
    // The next batch gathers while the first write is still pending.
    for (let i = 0; i < 3; i++) await writer.add(chunk(2));
    let fourth = false;
    const adding = writer.add(chunk(2)).then(() => {
      fourth = true;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(fourth, false, "a second full batch waits for the first write");
    assert.equal(calls.length, 1);
    calls[0]?.release();
    await adding;
    assert.equal(calls.length, 2);
    assert.equal(calls[1]?.first, 2);
    calls[1]?.release();
    await writer.flush();
  });

  it("reports a failed write on the next add or on flush, never as an unhandled rejection", async () => {
    const { calls, write } = heldWrites();
    const writer = new WriteBehind(write);
    for (let i = 0; i < 4; i++) await writer.add(chunk(1));
    calls[0]?.release(new Error("ENOSPC: no space left on device"));
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 3; i++) await writer.add(chunk(2));
    await assert.rejects(writer.add(chunk(2)), /ENOSPC/);
    await assert.rejects(writer.flush(), /ENOSPC/);
    assert.equal(calls.length, 1, "nothing is written after a failure");
  });
});
