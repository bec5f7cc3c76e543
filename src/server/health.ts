import type { Logger } from "pino";
import { BucketProbeFailure, type S3Backend, sdkErrorLabel } from "./s3-backend.js";

export type ServingState = "SERVING" | "NOT_SERVING";

/**
 * Whether presignd can do its job: SERVING only while its credentials load
 * and every bucket answers HeadBucket; NOT_SERVING from shutdown on. Probes
 * S3 at most once per `maxAgeMs`, and in the background while watched.
 */
export class HealthState {
  private state: ServingState = "NOT_SERVING";
  private reason = "not probed yet";
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
    this.timer ??= setInterval(() => void this.current(), this.maxAgeMs);
    this.timer.unref();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  get isShutdown(): boolean {
    return this.stopped;
  }

  /** From now on NOT_SERVING, whatever S3 says (graceful shutdown). */
  shutdown(): void {
    this.stopped = true;
    this.set("NOT_SERVING", "shutting down");
    if (this.timer) clearInterval(this.timer);
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
      });
    return this.inFlight;
  }

  /** `reason` is public (unauthenticated /readyz); `detail`, for the log, may name hosts and errors. */
  private set(state: ServingState, reason: string, detail?: string): void {
    if (this.stopped && state === "SERVING") return;
    const changed = state !== this.state || reason !== this.reason;
    this.state = state;
    this.reason = reason;
    if (!changed) return;
    this.logger[state === "SERVING" ? "info" : "warn"](
      { health: state, reason, ...(detail ? { detail } : {}) },
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
    this.detail = `${sdkErrorLabel(cause).label}: ${message}`.slice(0, 300);
  }
}

/**
 * What /readyz may say of an S3 failure: our own findings (a bucket's HTTP
 * status) as they are; for the rest, the kind of failure only, never hosts,
 * ports or exception classes.
 */
function describeS3Failure(error: unknown): string {
  if (error instanceof BucketProbeFailure) return error.message;
  const name = (error as { name?: string }).name;
  if (name === "TimeoutError" || name === "AbortError") return "S3 did not answer in time";
  if (name === "CredentialsProviderError" || name === "PresignError") return "S3 credentials do not load";
  return "S3 is unreachable";
}
