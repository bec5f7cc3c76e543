import { createContextKey } from "@connectrpc/connect";
import type { Principal } from "../../core/policy/policy.js";

/** The authenticated caller of the current RPC (contextValues). */
export const PRINCIPAL = createContextKey<Principal | undefined>(undefined, { description: "presignd principal" });

/** Development mode only: every caller is this principal. */
export const ANONYMOUS: Principal = { subject: "anonymous", groups: [], method: "none" };

/** A caller without credentials, admitted by a rule naming "anonymous" for its network. */
export const NETWORK_ANONYMOUS: Principal = { subject: "anonymous", groups: [], method: "anonymous" };
