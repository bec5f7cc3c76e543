import assert from "node:assert/strict";
import type { UploadLanded } from "../../src/gen/presign/v1/presign_pb.js";

/** A watch as a backend holds it: the events as they come, and a way to stop. */
export function watching(stream: AsyncIterable<UploadLanded>, controller: AbortController) {
  const events: UploadLanded[] = [];
  const done = (async () => {
    try {
      for await (const event of stream) events.push(event);
    } catch (error) {
      if (!controller.signal.aborted) throw error;
    }
  })();
  const next = async (count: number, ms = 10_000) => {
    const deadline = Date.now() + ms;
    while (events.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.equal(events.length, count, `${count} events within ${ms} ms`);
    return events[count - 1] as UploadLanded;
  };
  const stop = async () => {
    controller.abort();
    await done;
  };
  return { events, next, stop };
}
