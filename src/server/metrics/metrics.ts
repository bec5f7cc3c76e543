import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { DecisionObserver } from "../access/access.js";
import type { S3CallObserver } from "../s3/s3-backend.js";
import {
  NOTIFICATION_OUTCOMES,
  type NotificationObserver,
  type NotificationOutcome,
} from "../uploads/s3-notifications.js";
import type { UploadEvent, UploadEventObserver } from "../uploads/upload-events.js";
import type { WebhookObserver, WebhookOutcome } from "../uploads/webhook-deliverer.js";
import type { HandleStoreObserver } from "./measured-handle-store.js";

/** The bucket label of a bucket the server does not serve (never a caller's free text). */
export const UNCONFIGURED_BUCKET = "(unconfigured)";

// Seconds: a presign RPC takes ~0.5 ms, a stored-handle lookup in PostgreSQL
// a few, CreateMultipartUpload an S3 round trip; 10 s is past every timeout.
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** What the gauges read at each scrape. */
export interface GaugeSources {
  /** Whether the server is ready (as /readyz answers). */
  ready(): Promise<boolean>;
  /** When the S3 credentials in use expire; undefined for credentials that do not. */
  credentialsExpiration(): Promise<Date | undefined>;
}

/**
 * presignd's Prometheus metrics, in a registry of this server instance (not
 * prom-client's global one), so that servers in one process do not share
 * counts. Every label value is bounded: RPC names of the registered services,
 * protocol and code names, configured buckets, policy rule names and fixed
 * operation and outcome names; never keys, principals, handles or messages.
 */
export class Metrics
  implements
    DecisionObserver,
    S3CallObserver,
    HandleStoreObserver,
    UploadEventObserver,
    WebhookObserver,
    NotificationObserver
{
  private readonly registry = new Registry();
  private sources: GaugeSources | undefined;
  private readonly rpcs: Counter<"method" | "protocol" | "code">;
  private readonly rpcSeconds: Histogram<"method" | "protocol">;
  private readonly presigns: Counter<"operation" | "bucket">;
  private readonly decisions: Counter<"rule" | "decision">;
  private readonly storeSeconds: Histogram<"operation">;
  private readonly storeErrors: Counter<"operation">;
  private readonly s3Calls: Counter<"call" | "outcome">;
  private readonly multipartUploads: Counter<"event">;
  private readonly webhookDeliveries: Counter<"outcome">;
  private readonly notifications: Counter<"outcome">;

  constructor(private readonly buckets: ReadonlySet<string>) {
    const registers = [this.registry];
    this.rpcs = new Counter({
      name: "presignd_rpc_requests_total",
      help: "RPCs handled, by method, protocol and Connect code (ok for success).",
      labelNames: ["method", "protocol", "code"],
      registers,
    });
    this.rpcSeconds = new Histogram({
      name: "presignd_rpc_duration_seconds",
      help: "Time from the first interceptor to the answer of unary RPCs, by method and protocol.",
      labelNames: ["method", "protocol"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.presigns = new Counter({
      name: "presignd_presigns_total",
      help: "Requests signed (allow decisions that signed something), by operation and bucket.",
      labelNames: ["operation", "bucket"],
      registers,
    });
    this.decisions = new Counter({
      name: "presignd_policy_decisions_total",
      help: "Access decisions, by rule (the allowing rule, or the nearest one of a denial; empty: none) and decision.",
      labelNames: ["rule", "decision"],
      registers,
    });
    this.storeSeconds = new Histogram({
      name: "presignd_handle_store_duration_seconds",
      help: "Time of handle store calls, failed ones included, by operation.",
      labelNames: ["operation"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.storeErrors = new Counter({
      name: "presignd_handle_store_errors_total",
      help: "Handle store calls that failed, by operation.",
      labelNames: ["operation"],
      registers,
    });
    this.s3Calls = new Counter({
      name: "presignd_s3_calls_total",
      help: "Calls presignd itself makes to S3, by call and outcome (ok, refused: an error status, unreachable: no answer).",
      labelNames: ["call", "outcome"],
      registers,
    });
    this.multipartUploads = new Counter({
      name: "presignd_multipart_uploads_total",
      help: "Multipart uploads presignd started, and how they ended: completed (confirmed, or found completed by the reaper), aborted (gone without an object), reaped (aborted by the reaper after their token expired).",
      labelNames: ["event"],
      registers,
    });
    for (const event of ["started", "completed", "aborted", "reaped"] as const) this.multipartUploads.inc({ event }, 0);
    this.webhookDeliveries = new Counter({
      name: "presignd_webhook_deliveries_total",
      help: "Webhook delivery attempts, by outcome: delivered (a 2xx), retried (failed, tried again after a backoff), failed (failed the last attempt: the event was given up).",
      labelNames: ["outcome"],
      registers,
    });
    for (const outcome of ["delivered", "retried", "failed"] as const) this.webhookDeliveries.inc({ outcome }, 0);
    this.notifications = new Counter({
      name: "presignd_s3_notifications_total",
      help: "S3 bucket notifications received at /s3-notifications: records landed or ignored; requests unauthenticated, invalid or failed.",
      labelNames: ["outcome"],
      registers,
    });
    for (const outcome of NOTIFICATION_OUTCOMES) this.notifications.inc({ outcome }, 0);
    const sources = () => this.sources;
    new Gauge({
      name: "presignd_ready",
      help: "1 while the server is ready (credentials load, every bucket answers, handle store answers), else 0.",
      registers,
      async collect() {
        const ready = await sources()
          ?.ready()
          .catch(() => false);
        this.set(ready ? 1 : 0);
      },
    });
    new Gauge({
      name: "presignd_credentials_expiry_seconds",
      help: "Seconds until the S3 credentials in use expire; +Inf for credentials that do not, 0 when none load.",
      registers,
      async collect() {
        const source = sources();
        if (!source) return;
        const expiration = await source.credentialsExpiration().then(
          (date) => date?.getTime() ?? Number.POSITIVE_INFINITY,
          () => Date.now(),
        );
        this.set(Math.max(0, (expiration - Date.now()) / 1000));
      },
    });
  }

  /** Connects the gauges to the server's state, once it exists. */
  observe(sources: GaugeSources): void {
    this.sources = sources;
  }

  /** One RPC's outcome; `seconds` only for unary RPCs (a stream's length says nothing of latency). */
  rpc(method: string, protocol: string, code: string, seconds?: number): void {
    this.rpcs.inc({ method, protocol, code });
    if (seconds !== undefined) this.rpcSeconds.observe({ method, protocol }, seconds);
  }

  decided(decision: "allow" | "deny", rule: string | undefined): void {
    this.decisions.inc({ rule: rule ?? "", decision });
  }

  signed(operation: string, bucket: string): void {
    this.presigns.inc({ operation, bucket: this.buckets.has(bucket) ? bucket : UNCONFIGURED_BUCKET });
  }

  s3Call(call: string, outcome: string): void {
    this.s3Calls.inc({ call, outcome });
  }

  uploadEvent(event: UploadEvent): void {
    this.multipartUploads.inc({ event });
  }

  webhookDelivery(outcome: WebhookOutcome): void {
    this.webhookDeliveries.inc({ outcome });
  }

  notification(outcome: NotificationOutcome): void {
    this.notifications.inc({ outcome });
  }

  handleStoreCall(operation: string, seconds: number, failed: boolean): void {
    this.storeSeconds.observe({ operation }, seconds);
    if (failed) this.storeErrors.inc({ operation });
  }

  /** The text exposition of this server's metrics and the process's, and its content type. */
  async exposition(): Promise<{ text: string; contentType: string }> {
    const all = Registry.merge([this.registry, processRegistry()]);
    return { text: await all.metrics(), contentType: all.contentType };
  }
}

let processMetrics: Registry | undefined;

/**
 * Node's own process metrics under their standard names (process_*,
 * nodejs_*): one registry per process, since they describe the process
 * whatever the number of servers in it (and prom-client's collectors, an
 * event-loop monitor and a GC observer, cannot be stopped).
 */
function processRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}
