import type { ObjectHead } from "../s3/s3-backend.js";
import type { UploadEventObserver } from "./upload-events.js";
import type { LandedEvent, SignedUpload, UploadLedger } from "./upload-ledger.js";

/** Events read per query. */
const PAGE = 100;

/** How often a watcher looks for events other instances appended (local ones wake it at once). */
const WATCH_POLL_MS = 500;

/**
 * PostgreSQL hands out sequence numbers before commit, so an event may
 * become visible after a later one: each read looks this far back, and
 * skips what it already delivered.
 */
const LOOK_BACK = 32n;

/**
 * The uploads that landed, for WatchUploads: settled once in the ledger (on
 * any instance sharing it), appended to its events, and streamed to every
 * watcher of their bucket and prefix, on this instance at once and on the
 * others within WATCH_POLL_MS.
 */
export class UploadFeed {
  private readonly waiting = new Set<() => void>();
  private closed = false;
  /** Watchers connected to this instance (the poller runs while there are any). */
  watchers = 0;

  constructor(
    readonly ledger: UploadLedger,
    private readonly events?: UploadEventObserver,
  ) {}

  /**
   * Records a pending upload as landed, as verified: false when it was not
   * pending any more (another instance, or ConfirmUpload, got there first).
   */
  async landed(
    upload: SignedUpload,
    head: ObjectHead,
    checks: { readonly verified: readonly string[]; readonly unverified: readonly string[] },
    now = new Date(),
  ): Promise<boolean> {
    if (!(await this.ledger.settle(upload.id, ["pending"], "completed", now))) return false;
    if (upload.kind === "multipart") this.events?.uploadEvent("completed");
    await this.ledger.appendEvent({
      bucket: upload.bucket,
      key: upload.key,
      kind: upload.kind,
      landedAt: now,
      detail: {
        size: head.size.toString(),
        etag: head.etag,
        ...(head.versionId ? { versionId: head.versionId } : {}),
        ...(head.lastModified ? { lastModified: head.lastModified.toISOString() } : {}),
        contentType: head.contentType,
        metadata: head.metadata,
        ...(head.checksumSha256 ? { checksumSha256: head.checksumSha256 } : {}),
        ...(head.checksumCrc32c ? { checksumCrc32c: head.checksumCrc32c } : {}),
        verified: checks.verified,
        unverified: checks.unverified,
      },
    });
    for (const wake of this.waiting) wake();
    return true;
  }

  /** The events after `after` for keys in `bucket` under `prefix`, until `signal` aborts or the feed closes. */
  async *watch(bucket: string, prefix: string, after: bigint, signal: AbortSignal): AsyncGenerator<LandedEvent> {
    this.watchers++;
    try {
      let seq = after;
      const delivered = new Set<bigint>();
      while (!signal.aborted && !this.closed) {
        const from = seq > LOOK_BACK ? seq - LOOK_BACK : 0n;
        const page = await this.ledger.eventsAfter(from, bucket, prefix, PAGE);
        let fresh = 0;
        for (const event of page) {
          if (event.seq <= after || delivered.has(event.seq)) continue;
          delivered.add(event.seq);
          if (delivered.size > 4 * Number(LOOK_BACK)) delivered.delete(delivered.values().next().value as bigint);
          if (event.seq > seq) seq = event.seq;
          fresh++;
          yield event;
        }
        if (page.length === PAGE && fresh > 0) continue;
        await this.pause(signal);
      }
    } finally {
      this.watchers--;
    }
  }

  /** Ends every watch (at shutdown: watchers reconnect, with their cursor, to an instance that serves). */
  close(): void {
    this.closed = true;
    for (const wake of this.waiting) wake();
  }

  private pause(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, WATCH_POLL_MS);
      signal.addEventListener("abort", done, { once: true });
      this.waiting.add(done);
    });
  }
}
