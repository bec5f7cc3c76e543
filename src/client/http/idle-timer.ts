/**
 * Fires `onIdle` once `ms` pass without a touch(). Touches only record the
 * time: the timer is re-armed when it fires early, not on every chunk.
 */
export class IdleTimer {
  #last = Date.now();
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {
    if (ms > 0) this.#arm(ms);
  }

  touch(): void {
    this.#last = Date.now();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delay: number): void {
    this.#timer = setTimeout(() => {
      const quiet = Date.now() - this.#last;
      if (quiet >= this.ms) this.onIdle();
      else this.#arm(this.ms - quiet);
    }, delay);
    // On Node, a pending idle check alone must not keep the process alive.
    (this.#timer as { unref?: () => void }).unref?.();
  }
}
