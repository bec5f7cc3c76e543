import type { HandleStore } from "./handle-store.js";
import type { HandleStoreSetting } from "./handle-store-setting.js";
import { PostgresHandleStore } from "./postgres-handle-store.js";
import { SqliteHandleStore } from "./sqlite-handle-store.js";

export async function openHandleStore(setting: HandleStoreSetting): Promise<HandleStore> {
  return setting.engine === "postgres" ? PostgresHandleStore.open(setting.url) : SqliteHandleStore.open(setting.path);
}
