import type { StateStore } from "./state-store.js";

/** A store in the browser's localStorage (survives reloads), under `prefix`. */
export function localStorageStateStore(prefix = "presignd:"): StateStore {
  const storage = () => {
    if (typeof localStorage === "undefined") throw new Error("localStorage is not available here");
    return localStorage;
  };
  return {
    get: async (id) => storage().getItem(prefix + id) ?? undefined,
    set: async (id, value) => storage().setItem(prefix + id, value),
    delete: async (id) => storage().removeItem(prefix + id),
  };
}
