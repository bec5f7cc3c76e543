import type { Progress } from "../options.js";

/** Counts bytes across parts and attempts and reports them; a failed attempt's bytes are taken back. @private */
export class ProgressMeter {
  #transferred = 0;
  constructor(
    private readonly onProgress: ((progress: Progress) => void) | undefined,
    private total: number | undefined,
  ) {}

  get transferred(): number {
    return this.#transferred;
  }

  setTotal(total: number): void {
    this.total = total;
  }

  add(bytes: number): void {
    if (bytes === 0) return;
    this.#transferred += bytes;
    this.onProgress?.({ transferred: this.#transferred, ...(this.total === undefined ? {} : { total: this.total }) });
  }
}
