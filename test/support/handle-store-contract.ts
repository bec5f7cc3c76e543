import assert from "node:assert/strict";
import { it } from "node:test";
import { type HandleStore, handleDigest, mintStoredHandle } from "../../src/server/handles/handle-store.js";

const grant = (expiresAt: Date) => ({
  bucket: "dev",
  key: "users/ålice/report 2026.pdf",
  operations: ["get", "put"] as const,
  minter: { subject: "alice", groups: ["staff"], method: "api-key" as const },
  expiresAt,
});

/** The behaviour every handle store engine must have; `open` gives a fresh store. */
export function handleStoreContract(open: () => Promise<HandleStore>): void {
  it("stores a grant under the handle's digest and gives it back as stored", async () => {
    const store = await open();
    try {
      const now = new Date("2026-11-23T12:00:00.123Z");
      const digest = handleDigest(mintStoredHandle());
      await store.insert(digest, grant(new Date("2026-11-23T13:00:00.456Z")), now);
      assert.deepEqual(await store.find(digest), {
        ...grant(new Date("2026-11-23T13:00:00.456Z")),
        operations: ["get", "put"],
        createdAt: now,
      });
      assert.equal(await store.find(handleDigest(mintStoredHandle())), undefined);
    } finally {
      await store.close();
    }
  });

  it("revokes once (idempotent), and keeps the row to say when", async () => {
    const store = await open();
    try {
      const digest = handleDigest(mintStoredHandle());
      await store.insert(digest, grant(new Date(Date.now() + 60_000)), new Date());
      const at = new Date("2026-11-23T12:30:00Z");
      assert.equal(await store.revoke(digest, at), true);
      assert.equal(await store.revoke(digest, new Date()), false);
      assert.deepEqual((await store.find(digest))?.revokedAt, at);
      assert.equal(await store.revoke(handleDigest(mintStoredHandle()), at), false);
    } finally {
      await store.close();
    }
  });

  it("refuses a second row with the same digest", async () => {
    const store = await open();
    try {
      const digest = handleDigest(mintStoredHandle());
      await store.insert(digest, grant(new Date(Date.now() + 60_000)), new Date());
      await assert.rejects(store.insert(digest, grant(new Date(Date.now() + 60_000)), new Date()));
    } finally {
      await store.close();
    }
  });

  it("purges only rows that expired before the cut-off", async () => {
    const store = await open();
    try {
      const old = handleDigest(mintStoredHandle());
      const fresh = handleDigest(mintStoredHandle());
      await store.insert(old, grant(new Date("2026-01-01T00:00:00Z")), new Date("2025-12-31T00:00:00Z"));
      await store.insert(fresh, grant(new Date("2026-12-01T00:00:00Z")), new Date());
      assert.equal(await store.purgeExpired(new Date("2026-06-01T00:00:00Z")), 1);
      assert.equal(await store.find(old), undefined);
      assert.ok(await store.find(fresh));
    } finally {
      await store.close();
    }
  });
}
