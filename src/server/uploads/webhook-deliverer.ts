import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { Webhook } from "standardwebhooks";
import type { WebhookSettings } from "../config/webhook-settings.js";
import { landedJson } from "./landed-message.js";
import type { LandedEvent, UploadLedger } from "./upload-ledger.js";
import type { WebhookCursor } from "./webhook-cursor.js";

/** What happened to a delivery attempt, as `presignd_webhook_deliveries_total{outcome}` counts it. */
export type WebhookOutcome = "delivered" | "retried" | "failed";

/** Where delivery outcomes go (the server's Metrics). */
export interface WebhookObserver {
  webhookDelivery(outcome: WebhookOutcome): void;
}

/** The deliverer's clock: delays, timeouts and lease, each in milliseconds. */
export interface WebhookTiming {
  /** The first retry's delay; each next one doubles, up to `maxDelayMs`, each shortened by a random 0–50 %. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** An attempt with no answer within this has failed. */
  readonly timeoutMs: number;
  /** How long a lease lasts unless renewed (renewed every third of it while delivering or waiting). */
  readonly leaseMs: number;
  /** How often the lease holder looks for new events. */
  readonly pollMs: number;
  /** How often an instance without the lease tries to take it (it is free when released or expired). */
  readonly standbyMs: number;
}

export const WEBHOOK_TIMING: WebhookTiming = {
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  timeoutMs: 10_000,
  leaseMs: 30_000,
  pollMs: 500,
  standbyMs: 2_000,
};

/** Events read per query. */
const PAGE = 100;

/**
 * PostgreSQL hands out sequence numbers before commit, so an event may become
 * visible after a later one: a missing sequence number holds delivery back
 * this long, then is taken as a hole (a failed insert, or events purged).
 * Longer than the store's statement timeout (5 s), so an insert under way has
 * committed or failed by then.
 */
const GAP_GRACE_MS = 10_000;

export interface WebhookDeps {
  readonly settings: WebhookSettings;
  readonly ledger: UploadLedger;
  readonly cursor: WebhookCursor;
  readonly logger: Logger;
  readonly observer?: WebhookObserver | undefined;
  readonly timing?: Partial<WebhookTiming> | undefined;
}

/** The delay before retry number `attempt` (1: after the first failure): exponential, capped, with jitter. */
export function retryDelayMs(attempt: number, timing: Pick<WebhookTiming, "baseDelayMs" | "maxDelayMs">): number {
  const full = Math.min(timing.maxDelayMs, timing.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(full / 2 + (Math.random() * full) / 2);
}

/**
 * Delivers every upload that lands to the webhook URL, signed (Standard
 * Webhooks), in order, at least once. Instances sharing the handle store
 * share one cursor: the one holding its lease delivers, advancing the cursor
 * after each 2xx; a failing event is retried with backoff, then given up
 * (logged, counted) so that it does not hold back the ones after it.
 */
export class WebhookDeliverer {
  private readonly owner = `${hostname()}/${process.pid}/${randomBytes(6).toString("hex")}`;
  private readonly timing: WebhookTiming;
  private readonly signer: Webhook;
  private readonly stopping = new AbortController();
  /** The lease this instance holds (undefined: none), and until when (this clock). */
  private lease: { position: bigint; idPrefix: string; until: number } | undefined;
  private gap: { seq: bigint; since: number } | undefined;
  private storeDown = false;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly deps: WebhookDeps) {
    this.timing = { ...WEBHOOK_TIMING, ...deps.timing };
    this.signer = new Webhook(deps.settings.secret);
  }

  /** Creates the cursor (at the newest event, when there is none yet), then delivers in the background. */
  async start(): Promise<void> {
    await this.deps.cursor.init(await this.deps.ledger.latestEvent(), new Date());
    this.loop = this.run();
  }

  /** Stops at once (a delivery under way is cut: the next holder sends it again), then releases the lease. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    if (this.lease) await this.deps.cursor.release(this.owner).catch(() => {});
    this.lease = undefined;
  }

  private async run(): Promise<void> {
    const signal = this.stopping.signal;
    while (!signal.aborted) {
      let wait: number;
      try {
        wait = await this.pass(signal);
        if (this.storeDown) this.deps.logger.info("webhooks: the handle store answers again");
        this.storeDown = false;
      } catch (error) {
        if (!this.storeDown)
          this.deps.logger.warn({ err: (error as Error).message }, "webhooks: cannot read the handle store; retrying");
        this.storeDown = true;
        wait = this.timing.standbyMs;
      }
      await sleep(wait, signal);
    }
  }

  /** Holds the lease and delivers what is after the cursor; resolves with how long to wait before the next pass. */
  private async pass(signal: AbortSignal): Promise<number> {
    const lease = await this.hold();
    if (!lease) return this.timing.standbyMs;
    const events = await this.deps.ledger.allEventsAfter(lease.position, PAGE);
    // done: every event up to it is done; written: the cursor as stored (deliver() advances it too).
    let done = lease.position;
    let written = lease.position;
    for (const event of events) {
      if (event.seq !== done + 1n && !this.gapSettled(done + 1n)) break;
      this.gap = undefined;
      if (event.key.startsWith(this.deps.settings.prefix)) {
        const outcome = await this.deliver(event, lease.idPrefix, signal);
        if (outcome === "stopped") return 0;
        if (outcome === "lost") return this.timing.standbyMs;
        written = event.seq;
      }
      done = event.seq;
    }
    // Events outside --webhook-prefix are passed over with one write for the page.
    if (done > written && !(await this.advance(done))) return this.timing.standbyMs;
    return events.length === PAGE && done > lease.position ? 0 : this.timing.pollMs;
  }

  /** The lease, taken or renewed when a third of it has passed; undefined when another instance holds it. */
  private async hold(): Promise<{ position: bigint; idPrefix: string } | undefined> {
    const now = Date.now();
    if (this.lease && now < this.lease.until - (2 * this.timing.leaseMs) / 3) return this.lease;
    const until = now + this.timing.leaseMs;
    const claimed = await this.deps.cursor.claim(this.owner, new Date(now), new Date(until));
    if (!claimed) {
      if (this.lease) this.deps.logger.warn("webhooks: another instance took over delivery");
      this.lease = undefined;
      return undefined;
    }
    if (!this.lease) this.deps.logger.info({ position: claimed.position.toString() }, "webhooks: delivering");
    this.lease = { ...claimed, until };
    return this.lease;
  }

  private async advance(position: bigint): Promise<boolean> {
    if (await this.deps.cursor.advance(this.owner, position, new Date())) {
      if (this.lease) this.lease = { ...this.lease, position };
      return true;
    }
    this.deps.logger.warn("webhooks: another instance took over delivery");
    this.lease = undefined;
    return false;
  }

  private gapSettled(seq: bigint): boolean {
    if (this.gap?.seq !== seq) this.gap = { seq, since: Date.now() };
    return Date.now() - this.gap.since >= GAP_GRACE_MS;
  }

  /** One event, attempted until a 2xx or `maxAttempts`; "lost": the lease went to another instance meanwhile. */
  private async deliver(
    event: LandedEvent,
    idPrefix: string,
    signal: AbortSignal,
  ): Promise<"delivered" | "failed" | "lost" | "stopped"> {
    const { settings, logger, observer } = this.deps;
    const id = `upload_${idPrefix}_${event.seq}`;
    let body: string;
    try {
      body = landedJson(event);
    } catch (error) {
      // A row this build cannot read (never written so): skipped, or it would hold back every event after it.
      observer?.webhookDelivery("failed");
      logger.error(
        { seq: event.seq.toString(), err: (error as Error).message },
        `webhook event ${event.seq} cannot be read: skipped`,
      );
      return (await this.advance(event.seq)) ? "failed" : "lost";
    }
    for (let attempt = 1; ; attempt++) {
      const held = await this.hold();
      // Taken back after another instance held it: where it stands now is that instance's doing.
      if (!held || held.position >= event.seq) return "lost";
      const failure = await this.attempt(id, body, signal);
      if (signal.aborted) return "stopped";
      if (failure === undefined) {
        observer?.webhookDelivery("delivered");
        logger.debug({ seq: event.seq.toString(), attempt }, "webhook delivered");
        if (!(await this.advance(event.seq))) return "lost";
        return "delivered";
      }
      if (attempt >= settings.maxAttempts) {
        observer?.webhookDelivery("failed");
        logger.error(
          { seq: event.seq.toString(), attempts: attempt, reason: failure },
          `webhook delivery of event ${event.seq} failed ${attempt} times: given up, delivering the next ones`,
        );
        if (!(await this.advance(event.seq))) return "lost";
        return "failed";
      }
      observer?.webhookDelivery("retried");
      const delay = retryDelayMs(attempt, this.timing);
      logger.warn(
        { seq: event.seq.toString(), attempt, reason: failure, retry_in_ms: delay },
        "webhook delivery failed; retrying",
      );
      if (!(await this.waitHolding(delay, signal))) return signal.aborted ? "stopped" : "lost";
    }
  }

  /** One POST; undefined on a 2xx, else why not (an HTTP status, a network error, the timeout). */
  private async attempt(id: string, body: string, signal: AbortSignal): Promise<string | undefined> {
    const now = new Date();
    const timeout = AbortSignal.timeout(this.timing.timeoutMs);
    try {
      const res = await fetch(this.deps.settings.url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          "user-agent": "presignd-webhooks",
          "webhook-id": id,
          "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
          "webhook-signature": this.signer.sign(id, now, body),
        },
        body,
        redirect: "manual",
        signal: AbortSignal.any([signal, timeout]),
      });
      await res.body?.cancel().catch(() => {});
      return res.status >= 200 && res.status < 300 ? undefined : `HTTP ${res.status}`;
    } catch (error) {
      if (timeout.aborted) return `no answer within ${this.timing.timeoutMs} ms`;
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      return cause?.code ?? cause?.message ?? (error as Error).message;
    }
  }

  /** Waits `ms`, renewing the lease meanwhile; false when stopped or the lease was lost. */
  private async waitHolding(ms: number, signal: AbortSignal): Promise<boolean> {
    const end = Date.now() + ms;
    for (let left = ms; left > 0 && !signal.aborted; left = end - Date.now()) {
      await sleep(Math.min(left, this.timing.leaseMs / 3), signal);
      if (!signal.aborted && !(await this.hold())) return false;
    }
    return !signal.aborted;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}
