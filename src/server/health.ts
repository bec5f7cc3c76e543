import type { Logger } from "pino";
import { type S3Backend, sdkErrorLabel } from "./s3-backend.js";

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
    const { state, reason } = await this.current();
    if (state === "SERVING" || this.stopped) return;
    const missing = [...this.backend.missingBuckets];
    for (const bucket of missing) {
      this.logger.warn(
        { bucket },
        `bucket "${bucket}" does not exist at S3 (HEAD answered HTTP 404): calls for it are refused with failed_precondition until it is created (checked again every ${this.maxAgeMs / 1000} s)`,
      );
    }
    const others = reason
      .replace(/^Error: /, "")
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
      this.backend.probe(AbortSignal.timeout(this.timeoutMs)),
      ...this.dependencies.map((d) =>
        d.ping().catch((error: unknown) => {
          throw new Error(`${d.name}: ${(error as Error).message}`);
        }),
      ),
    ])
      .then(
        () =>
          this.set(
            "SERVING",
            `credentials load and every bucket answers${this.dependencies.map((d) => `; ${d.name} answers`).join("")}`,
          ),
        (error: unknown) => this.set("NOT_SERVING", describe(error)),
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

  private set(state: ServingState, reason: string): void {
    if (this.stopped && state === "SERVING") return;
    const changed = state !== this.state;
    this.state = state;
    this.reason = reason;
    if (!changed) return;
    this.logger[state === "SERVING" ? "info" : "warn"]({ health: state, reason }, "health changed");
    for (const listener of this.listeners) listener(state);
  }
}

function describe(error: unknown): string {
  const message = (error as { message?: string }).message ?? String(error);
  return `${sdkErrorLabel(error).label}: ${message}`.slice(0, 300);
}
