import type { Logger } from "pino";
import { BucketProbeFailure, type S3Backend } from "../s3/s3-backend.js";
import { sdkErrorLabel } from "../s3/sdk-error-label.js";

export type ServingState = "SERVING" | "NOT_SERVING";

/**
 * Whether presignd can do its job: SERVING only while its credentials load
 * and every bucket answers HeadBucket; NOT_SERVING from shutdown on. Probes
 * S3 at most once per `maxAgeMs`, and in the background every `maxAgeMs`
 * while watched or while a bucket is known missing (so that one created
 * later is signed for again without anyone asking /readyz).
 */
export class HealthState {
  private state: ServingState = "NOT_SERVING";
  private reason = "not probed yet";
  private detail = "";
  private checkedAt = 0;
  private inFlight: Promise<void> | undefined;
  private stopped = false;
  private readonly listeners = new Set<(state: ServingState) => void>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly backend: S3Backend,
    private readonly logger: Logger,
    /** Further dependencies that must answer, e.g. the handle store. */
    private readonly dependencies: ReadonlyArray<{ name: string; ping: () => Promise<void> }> = [],
    private readonly maxAgeMs = 5_000,
    private readonly timeoutMs = 3_000,
  ) {}

  /** The current state, probing first when the last probe is stale. */
  async current(): Promise<{ state: ServingState; reason: string }> {
    if (!this.stopped && Date.now() - this.checkedAt > this.maxAgeMs) await this.probe();
    return { state: this.state, reason: this.reason };
  }

  /** Calls `listener` on every change until the returned function is called. */
  watch(listener: (state: ServingState) => void): () => void {
    this.listeners.add(listener);
    this.schedule();
    return () => {
      this.listeners.delete(listener);
      this.schedule();
    };
  }

  /**
   * The first probe, at start: logs a warning for each bucket that does not
   * exist and for any other reason not to be ready (credentials that do not
   * load, say), which /readyz alone would only tell whoever asks.
   */
  async checkAtStart(): Promise<void> {
    const { state } = await this.current();
    if (state === "SERVING" || this.stopped) return;
    const missing = [...this.backend.missingBuckets];
    for (const bucket of missing) {
      this.logger.warn(
        { bucket },
        `bucket "${bucket}" does not exist at S3 (HEAD answered HTTP 404): calls for it are refused with failed_precondition until it is created (checked again every ${this.maxAgeMs / 1000} s)`,
      );
    }
    const others = this.detail
      .split("; ")
      .filter((part) => !missing.some((bucket) => part.startsWith(`bucket "${bucket}" does not exist`)));
    if (others.length > 0) {
      this.logger.warn(
        { reason: others.join("; ") },
        `not ready at start: ${others.join("; ")} (/readyz and grpc.health answer NOT_SERVING until this is fixed)`,
      );
    }
  }

  get isShutdown(): boolean {
    return this.stopped;
  }

  /** From now on NOT_SERVING, whatever S3 says (graceful shutdown). */
  shutdown(): void {
    this.stopped = true;
    this.set("NOT_SERVING", "shutting down");
    this.schedule();
  }

  private probe(): Promise<void> {
    this.inFlight ??= Promise.all([
      this.backend.probe(AbortSignal.timeout(this.timeoutMs)).catch((error: unknown) => {
        throw new ProbeFailure(describeS3Failure(error), error);
      }),
      ...this.dependencies.map((d) =>
        d.ping().catch((error: unknown) => {
          throw new ProbeFailure(`${d.name} does not answer`, error);
        }),
      ),
    ])
      .then(
        () =>
          this.set(
            "SERVING",
            `credentials load and every bucket answers${this.dependencies.map((d) => `; ${d.name} answers`).join("")}`,
          ),
        (failure: ProbeFailure) => this.set("NOT_SERVING", failure.message, failure.detail),
      )
      .finally(() => {
        this.checkedAt = Date.now();
        this.inFlight = undefined;
        this.schedule();
      });
    return this.inFlight;
  }

  /** Probes in the background while someone watches or a bucket is known missing. */
  private schedule(): void {
    const needed = !this.stopped && (this.listeners.size > 0 || this.backend.missingBuckets.size > 0);
    if (needed && !this.timer) {
      this.timer = setInterval(() => void this.probe(), this.maxAgeMs);
      this.timer.unref();
    } else if (!needed && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** `reason` is public (unauthenticated /readyz); `detail`, for the log, may name hosts and errors. */
  private set(state: ServingState, reason: string, detail = reason): void {
    this.detail = detail;
    if (this.stopped && state === "SERVING") return;
    const changed = state !== this.state || reason !== this.reason;
    this.state = state;
    this.reason = reason;
    if (!changed) return;
    this.logger[state === "SERVING" ? "info" : "warn"](
      { health: state, reason, ...(detail !== reason ? { detail } : {}) },
      "health changed",
    );
    for (const listener of this.listeners) listener(state);
  }
}

/** A failed probe: what callers may read, and the detail for the log. */
class ProbeFailure extends Error {
  readonly detail: string;
  constructor(reason: string, cause: unknown) {
    super(reason);
    const message = (cause as { message?: string }).message ?? String(cause);
    this.detail =
      cause instanceof BucketProbeFailure ? cause.detail : `${reason} (${sdkErrorLabel(cause).label}: ${message})`;
  }
}

/**
 * What /readyz may say of an S3 failure: the probe's own public findings
 * (credentials, each bucket's status, unreachable or timed out); anything
 * else, never its hosts, ports or exception classes.
 */
function describeS3Failure(error: unknown): string {
  return error instanceof BucketProbeFailure ? error.message : "S3 is unreachable";
}
