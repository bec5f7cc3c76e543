import type { HandleStore } from "./handle-store.js";
import type { HandleStoreSetting } from "./handle-store-setting.js";

/** Loads only the engine in use: `pg` costs ~60 ms of start-up a SQLite or store-less server need not pay. */
export async function openHandleStore(setting: HandleStoreSetting): Promise<HandleStore> {
  if (setting.engine === "postgres") {
    const { PostgresHandleStore } = await import("./postgres-handle-store.js");
    return PostgresHandleStore.open(setting.url);
  }
  const { SqliteHandleStore } = await import("./sqlite-handle-store.js");
  return SqliteHandleStore.open(setting.path);
}
