import { randomUUID } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import type { StateStore } from "../state/state-store.js";

/**
 * A store in one JSON file (private mode: records hold upload tokens),
 * written atomically so a crash leaves the old file or the new one. The file
 * is removed when its last record is.
 */
export function fileStateStore(path: string): StateStore {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => {});
    return run;
  };
  const load = async (): Promise<Record<string, string>> => {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      if ((error as { code?: string }).code === "ENOENT") return {};
      throw error;
    }
    try {
      const records = JSON.parse(text) as unknown;
      if (typeof records === "object" && records !== null && !Array.isArray(records)) {
        return records as Record<string, string>;
      }
    } catch {
      // Reported below.
    }
    throw new Error(`${path} is not a presignd state file: delete it to start over`);
  };
  const store = async (records: Record<string, string>) => {
    if (Object.keys(records).length === 0) return rm(path, { force: true });
    const temp = `${path}.${randomUUID()}.tmp`;
    await writeFile(temp, JSON.stringify(records), { mode: 0o600 });
    await rename(temp, path);
  };
  return {
    get: (id) => serial(async () => (await load())[id]),
    set: (id, value) => serial(async () => store({ ...(await load()), [id]: value })),
    delete: (id) =>
      serial(async () => {
        const records = await load();
        if (!(id in records)) return;
        delete records[id];
        await store(records);
      }),
  };
}
