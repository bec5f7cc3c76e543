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

  it("the upload ledger records what was signed, finds it newest first, and settles each upload once", async () => {
    const store = await open();
    try {
      const ledger = store.uploads;
      const signer = { subject: "alice", groups: ["staff"], method: "api-key" as const };
      const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 12, 0, s));
      const first = await ledger.record({
        bucket: "dev",
        key: "users/ålice/report 2026.pdf",
        kind: "put",
        signer,
        signedAt: at(1),
        expiresAt: at(901),
        expectation: {
          minLength: 5497558138880n,
          maxLength: 5497558138880n,
          contentType: "application/pdf",
          metadata: { owner: "alice" },
        },
      });
      const second = await ledger.record({
        bucket: "dev",
        key: "users/ålice/report 2026.pdf",
        kind: "post",
        signer,
        signedAt: at(2),
        expiresAt: at(902),
        expectation: { minLength: 0n, maxLength: 10n, contentType: "application/", contentTypeIsPrefix: true },
      });
      const found = await ledger.forObject("dev", "users/ålice/report 2026.pdf", 10);
      assert.deepEqual(
        found.map((u) => u.id),
        [second.id, first.id],
      );
      assert.deepEqual(found[1], { ...first, state: "pending" });
      assert.equal(found[1]?.expectation.maxLength, 5497558138880n, "64-bit sizes survive");
      assert.deepEqual(await ledger.forObject("dev", "users/ålice/other", 10), []);
      assert.equal(await ledger.settle(first.id, ["pending"], "completed", at(3)), true);
      assert.equal(await ledger.settle(first.id, ["pending"], "completed", at(4)), false, "settled once");
      assert.deepEqual((await ledger.forObject("dev", "users/ålice/report 2026.pdf", 1))[0]?.id, second.id);
    } finally {
      await store.close();
    }
  });

  it("the upload ledger gives the reaper expired multipart uploads, one claim each, and purges settled ones", async () => {
    const store = await open();
    try {
      const ledger = store.uploads;
      const now = new Date("2026-12-02T12:00:00Z");
      const multipart = (uploadId: string, expiresAt: Date) =>
        ledger.record({
          bucket: "dev",
          key: `mp/${uploadId}`,
          kind: "multipart",
          uploadId,
          signer: { subject: "alice", groups: [], method: "api-key" },
          signedAt: new Date(now.getTime() - 3_600_000),
          expiresAt,
          expectation: { maxLength: 100n },
        });
      const expired = await multipart("u-expired", new Date(now.getTime() - 1000));
      const live = await multipart("u-live", new Date(now.getTime() + 3_600_000));
      assert.deepEqual((await ledger.byUploadId("dev", "u-live"))?.id, live.id);
      assert.equal(await ledger.byUploadId("other", "u-live"), undefined);
      const stale = new Date(now.getTime() - 600_000);
      assert.deepEqual(
        (await ledger.expiredMultipart(now, stale, 10)).map((u) => u.id),
        [expired.id],
      );
      assert.equal(await ledger.settle(expired.id, ["pending"], "reaping", now), true);
      assert.equal(await ledger.settle(expired.id, ["pending"], "reaping", now), false, "one instance claims it");
      assert.deepEqual(await ledger.expiredMultipart(now, stale, 10), [], "a fresh claim is not offered again");
      const later = new Date(now.getTime() + 700_000);
      assert.deepEqual(
        (await ledger.expiredMultipart(later, new Date(later.getTime() - 600_000), 10)).map((u) => u.id),
        [expired.id],
        "a claim older than the stale bound is offered again",
      );
      assert.deepEqual((await ledger.openMultipart(10)).map((u) => u.id).sort(), [expired.id, live.id].sort());
      assert.equal(await ledger.purge(later), 0, "open multipart uploads are kept");
      assert.equal(await ledger.settle(expired.id, ["reaping"], "reaped", now), true);
      assert.equal(await ledger.purge(later), 1, "a settled one past its expiry is purged");
      assert.deepEqual(
        (await ledger.openMultipart(10)).map((u) => u.id),
        [live.id],
      );
    } finally {
      await store.close();
    }
  });

  it("keeps one webhook cursor: one lease holder at a time, taken over once the lease expires, advanced only by its holder", async () => {
    const store = await open();
    try {
      const cursor = store.webhooks;
      const t0 = new Date("2026-12-01T10:00:00Z");
      const at = (s: number) => new Date(t0.getTime() + s * 1000);
      await cursor.init(41n, t0);
      await cursor.init(7n, t0); // a second instance starting: the cursor stays where it is
      const a = await cursor.claim("a", t0, at(30));
      assert.equal(a?.position, 41n);
      assert.match(a?.idPrefix ?? "", /^[0-9a-f]{16}$/);
      assert.equal(await cursor.claim("b", at(10), at(40)), undefined, "held by a");
      assert.deepEqual(await cursor.claim("a", at(10), at(40)), a, "a renews");
      assert.equal(await cursor.advance("a", 42n, at(11)), true);
      assert.equal(await cursor.advance("b", 43n, at(11)), false, "only the holder advances");
      assert.equal(await cursor.advance("a", 40n, at(12)), false, "never backwards");
      assert.equal(await cursor.claim("b", at(39), at(69)), undefined, "not before the lease expires");
      const b = await cursor.claim("b", at(41), at(71));
      assert.deepEqual(b, { position: 42n, idPrefix: a?.idPrefix }, "b takes over where a left it");
      assert.equal(await cursor.advance("a", 43n, at(42)), false, "a, back from a pause, is fenced off");
      assert.equal(await cursor.claim("a", at(42), at(72)), undefined);
      await cursor.release("a"); // not a's to release
      assert.equal(await cursor.claim("a", at(43), at(73)), undefined);
      await cursor.release("b");
      assert.equal((await cursor.claim("a", at(44), at(74)))?.position, 42n, "released: free at once");
      await store.uploads.appendEvent({
        bucket: "dev",
        key: "a.txt",
        kind: "put",
        landedAt: t0,
        detail: { size: "1", etag: '"x"', contentType: "", metadata: {}, verified: [], unverified: [] },
      });
      const [event] = await store.uploads.allEventsAfter(0n, 10);
      assert.equal(event?.key, "a.txt");
      assert.deepEqual(await store.uploads.allEventsAfter(event?.seq ?? 0n, 10), []);
    } finally {
      await store.close();
    }
  });
}
