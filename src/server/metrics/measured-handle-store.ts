import type { HandleStore } from "../handles/handle-store.js";

/** Where handle store timings go (the server's Metrics). */
export interface HandleStoreObserver {
  handleStoreCall(operation: HandleStoreOperation, seconds: number, failed: boolean): void;
}

/** The store calls measured, as the `operation` label names them. */
export type HandleStoreOperation =
  | "insert"
  | "find"
  | "revoke"
  | "purge_expired"
  | "ping"
  | "record_upload"
  | "find_uploads"
  | "settle_upload"
  | "webhook_cursor";

/** A handle store that times every call and counts the failed ones; otherwise the store itself. */
export function measuredHandleStore(store: HandleStore, observer: HandleStoreObserver): HandleStore {
  const timed =
    <A extends unknown[], R>(operation: HandleStoreOperation, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const start = performance.now();
      let failed = true;
      try {
        const result = await call(...args);
        failed = false;
        return result;
      } finally {
        observer.handleStoreCall(operation, (performance.now() - start) / 1000, failed);
      }
    };
  const ledger = store.uploads;
  const cursor = store.webhooks;
  return {
    engine: store.engine,
    uploads: {
      record: timed("record_upload", ledger.record.bind(ledger)),
      forObject: timed("find_uploads", ledger.forObject.bind(ledger)),
      byUploadId: timed("find_uploads", ledger.byUploadId.bind(ledger)),
      expiredMultipart: timed("find_uploads", ledger.expiredMultipart.bind(ledger)),
      openMultipart: timed("find_uploads", ledger.openMultipart.bind(ledger)),
      settle: timed("settle_upload", ledger.settle.bind(ledger)),
      purge: timed("purge_expired", ledger.purge.bind(ledger)),
      toPoll: timed("find_uploads", ledger.toPoll.bind(ledger)),
      appendEvent: timed("record_upload", ledger.appendEvent.bind(ledger)),
      eventsAfter: timed("find_uploads", ledger.eventsAfter.bind(ledger)),
      allEventsAfter: timed("find_uploads", ledger.allEventsAfter.bind(ledger)),
      latestEvent: timed("find_uploads", ledger.latestEvent.bind(ledger)),
    },
    webhooks: {
      init: timed("webhook_cursor", cursor.init.bind(cursor)),
      claim: timed("webhook_cursor", cursor.claim.bind(cursor)),
      advance: timed("webhook_cursor", cursor.advance.bind(cursor)),
      release: timed("webhook_cursor", cursor.release.bind(cursor)),
    },
    insert: timed("insert", store.insert.bind(store)),
    find: timed("find", store.find.bind(store)),
    revoke: timed("revoke", store.revoke.bind(store)),
    purgeExpired: timed("purge_expired", store.purgeExpired.bind(store)),
    ping: timed("ping", store.ping.bind(store)),
    close: () => store.close(),
  };
}
