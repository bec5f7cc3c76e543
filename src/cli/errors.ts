import { ConnectError } from "@connectrpc/connect";
import { S3Error } from "../client/s3-error.js";

/** One line for a failed command: what happened, in the user's terms. */
export function describeError(error: unknown): string {
  if (error instanceof ConnectError) {
    if (/ECONNREFUSED|ENOTFOUND|EAI_AGAIN/.test(error.message)) {
      return `cannot reach presignd: ${error.rawMessage} (is it running? set -s/--server or PRESIGND_SERVER)`;
    }
    return `presignd refused: ${error.message}`;
  }
  if (error instanceof S3Error) return error.message;
  if ((error as Error)?.name === "AbortError") return (error as Error).message || "interrupted";
  const e = error as NodeJS.ErrnoException;
  if (e?.code === "ECONNREFUSED")
    return `cannot connect to ${(e as { address?: string }).address ?? "the server"}:${(e as { port?: number }).port ?? ""} (is presignd running? see -s/--server)`;
  if (e?.code === "ENOENT" && e.path) return `no such file: ${e.path}`;
  return e?.message ?? String(error);
}
