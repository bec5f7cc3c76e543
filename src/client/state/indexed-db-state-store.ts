import type { StateStore } from "./state-store.js";

/** A store in an IndexedDB database of its own (survives reloads; workers can use it too). */
export function indexedDbStateStore(database = "presignd-transfers"): StateStore {
  const STORE = "state";
  let opened: Promise<IDBDatabase> | undefined;
  const db = () => {
    opened ??= new Promise<IDBDatabase>((resolve, reject) => {
      if (typeof indexedDB === "undefined") return reject(new Error("IndexedDB is not available here"));
      const request = indexedDB.open(database, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return opened;
  };
  const run = async <T>(mode: IDBTransactionMode, act: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> => {
    const transaction = (await db()).transaction(STORE, mode);
    const request = act(transaction.objectStore(STORE));
    return new Promise<T>((resolve, reject) => {
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  };
  return {
    get: async (id) => {
      const value = await run("readonly", (store) => store.get(id) as IDBRequest<unknown>);
      return typeof value === "string" ? value : undefined;
    },
    set: async (id, value) => {
      await run("readwrite", (store) => store.put(value, id));
    },
    delete: async (id) => {
      await run("readwrite", (store) => store.delete(id));
    },
  };
}
