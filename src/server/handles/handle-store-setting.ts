/** Where stored handles live (`--handle-store`). */
export type HandleStoreSetting =
  | { readonly engine: "sqlite"; readonly path: string }
  | { readonly engine: "postgres"; readonly url: string };

/**
 * Parses `--handle-store`: `postgres://…` / `postgresql://…`, `sqlite:<path>`,
 * `memory` (SQLite in memory, this process only) or a plain file path
 * (SQLite). Undefined for an empty value.
 */
export function parseHandleStore(value: string | undefined): HandleStoreSetting | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^postgres(ql)?:\/\//i.test(v)) {
    try {
      new URL(v);
    } catch {
      throw new Error(`not a valid PostgreSQL URL: ${describeHandleStore({ engine: "postgres", url: v })}`);
    }
    return { engine: "postgres", url: v };
  }
  if (v === "memory" || v === "sqlite::memory:") return { engine: "sqlite", path: ":memory:" };
  const path = v.startsWith("sqlite:") ? v.slice("sqlite:".length) : v;
  if (!path || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new Error(`expected postgres://…, sqlite:<file>, memory or a file path, got "${v.split("://")[0]}://…"`);
  }
  return { engine: "sqlite", path };
}

/** For logs: the URL without its password. */
export function describeHandleStore(setting: HandleStoreSetting): string {
  if (setting.engine === "sqlite") return `sqlite:${setting.path}`;
  try {
    const url = new URL(setting.url);
    if (url.password) url.password = "REDACTED";
    return url.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}
