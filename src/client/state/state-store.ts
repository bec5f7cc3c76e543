/**
 * Where resumable transfers keep their progress between runs: a string per
 * id. Records hold an upload token (it can add parts to that one upload),
 * so keep the store private to the user.
 */
export interface StateStore {
  get(id: string): Promise<string | undefined>;
  set(id: string, value: string): Promise<void>;
  delete(id: string): Promise<void>;
}

/** A store in memory: resumes within one page or process (after a failure, not a reload). */
export function memoryStateStore(): StateStore {
  const records = new Map<string, string>();
  return {
    get: async (id) => records.get(id),
    set: async (id, value) => {
      records.set(id, value);
    },
    delete: async (id) => {
      records.delete(id);
    },
  };
}
