/** Bytes gathered before one write: one write (a writev on Node) per ~1 MiB, not per socket chunk. */
export const WRITE_BATCH_BYTES = 1024 * 1024;

/**
 * Gathers a response's chunks into ~1 MiB batches and writes each batch
 * while the next one gathers, so reading the socket does not stop for every
 * write (a write waits only for the one before it: at most two batches are
 * held). `write` is called in order, one at a time.
 * @private
 */
export class WriteBehind {
  #batch: Uint8Array[] = [];
  #batchBytes = 0;
  #writing: Promise<void> = Promise.resolve();
  #failure: { error: unknown } | undefined;

  constructor(private readonly write: (chunks: readonly Uint8Array[], bytes: number) => Promise<void>) {}

  /** Adds a chunk; resolves at once unless a full batch must wait for the write before it. */
  async add(chunk: Uint8Array): Promise<void> {
    this.#batch.push(chunk);
    this.#batchBytes += chunk.byteLength;
    if (this.#batchBytes >= WRITE_BATCH_BYTES) await this.#start();
  }

  /** Writes what is gathered and waits for every write; throws the first write's failure. */
  async flush(): Promise<void> {
    await this.#start();
    await this.#writing;
    if (this.#failure) throw this.#failure.error;
  }

  async #start(): Promise<void> {
    await this.#writing;
    if (this.#failure) throw this.#failure.error;
    if (this.#batchBytes === 0) return;
    const chunks = this.#batch;
    const bytes = this.#batchBytes;
    this.#batch = [];
    this.#batchBytes = 0;
    // Settled here, never rejected: a failure is reported by the next add() or flush().
    this.#writing = this.write(chunks, bytes).then(
      () => {},
      (error: unknown) => {
        this.#failure ??= { error };
      },
    );
  }
}
