import type { Logger } from "pino";
import { type S3Backend, sdkErrorLabel } from "./s3-backend.js";

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
      });
    return this.inFlight;
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
