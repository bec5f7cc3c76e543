import { randomUUID } from "node:crypto";
import { rename, writeFile } from "node:fs/promises";

/**
 * Writes a resume state file atomically: a crash leaves the old file or the
 * new one, never half of one (private mode: it holds an upload token).
 */
export async function writeStateFile(path: string, state: unknown): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  await writeFile(temp, JSON.stringify(state), { mode: 0o600 });
  await rename(temp, path);
}

/**
 * Runs `task` one at a time, merging calls that arrive while it runs (state
 * saves after each part or range). `flush()` runs it once more after what is
 * queued and rejects with the first failure, which is otherwise kept, not
 * left unhandled.
 */
export function coalesced(task: () => Promise<void>): (() => void) & { flush(): Promise<void> } {
  let running: Promise<void> = Promise.resolve();
  let queued = false;
  let failure: { error: unknown } | undefined;
  const run = () => {
    if (queued) return;
    queued = true;
    running = running.then(() => {
      queued = false;
      return task().catch((error: unknown) => {
        failure ??= { error };
      });
    });
  };
  return Object.assign(run, {
    async flush() {
      run();
      await running;
      if (failure) throw failure.error;
    },
  });
}
