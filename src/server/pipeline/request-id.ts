import { randomUUID } from "node:crypto";
import { createContextKey } from "@connectrpc/connect";

/** The request id of the current RPC (x-request-id when well-formed, else a UUID). */
export const REQUEST_ID = createContextKey<string>("", { description: "presignd request id" });

export function requestIdFrom(headers: Headers): string {
  const given = headers.get("x-request-id");
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}
