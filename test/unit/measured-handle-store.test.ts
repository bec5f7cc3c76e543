import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { handleDigest, mintStoredHandle } from "../../src/server/handles/handle-store.js";
import { SqliteHandleStore } from "../../src/server/handles/sqlite-handle-store.js";
import { measuredHandleStore } from "../../src/server/metrics/measured-handle-store.js";
import { Metrics } from "../../src/server/metrics/metrics.js";
import { handleStoreContract } from "../support/handle-store-contract.js";
import { parsePrometheusText, series } from "../support/prometheus-text.js";

const samplesOf = async (metrics: Metrics) => parsePrometheusText((await metrics.exposition()).text);

describe("measured handle store", () => {
  // The measured store behaves exactly as the store it wraps.
  describe("keeps the store's contract", () =>
    handleStoreContract(async () => measuredHandleStore(SqliteHandleStore.open(":memory:"), new Metrics(new Set()))));

  it("times every call and counts the failed ones, by operation", async () => {
    const metrics = new Metrics(new Set());
    const inner = SqliteHandleStore.open(":memory:");
    const store = measuredHandleStore(inner, metrics);
    const digest = handleDigest(mintStoredHandle());
    const grant = {
      bucket: "b",
      key: "k",
      operations: ["get" as const],
      minter: { subject: "s", groups: [], method: "none" as const },
      expiresAt: new Date(Date.now() + 60_000),
    };
    await store.insert(digest, grant, new Date());
    assert.equal((await store.find(digest))?.key, "k");
    await store.ping();
    await inner.close();
    // A closed database fails every call: the error reaches the caller unchanged, and is counted.
    await assert.rejects(store.find(digest), /database connection is not open/);
    await assert.rejects(store.revoke(digest, new Date()), /database connection is not open/);
    const samples = await samplesOf(metrics);
    assert.deepEqual(series(samples, "presignd_handle_store_duration_seconds_count"), {
      "operation=insert": 1,
      "operation=find": 2,
      "operation=ping": 1,
      "operation=revoke": 1,
    });
    assert.deepEqual(series(samples, "presignd_handle_store_errors_total"), {
      "operation=find": 1,
      "operation=revoke": 1,
    });
  });
});
