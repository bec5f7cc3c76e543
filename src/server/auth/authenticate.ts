import { Code, ConnectError } from "@connectrpc/connect";
import type { NetworkSet, Principal } from "../../core/policy/policy.js";
import type { KeyHolder } from "../access/policy-file.js";
import { findKeyHolder } from "./api-keys.js";
import type { JwtVerifier } from "./jwt.js";
import { ambiguity, type PresentedCredentials } from "./presented-credentials.js";
import { ANONYMOUS, NETWORK_ANONYMOUS } from "./principal.js";

export interface Authenticator {
  /** The principal for what the request presented; throws unauthenticated. */
  authenticate(credentials: PresentedCredentials): Promise<Principal>;
}

/** Development mode: everybody is "anonymous". */
export const noAuthentication: Authenticator = { authenticate: async () => ANONYMOUS };

/**
 * Exactly one of: a client certificate, API keys (Authorization: Bearer
 * <key>, or x-api-key) and JWTs (Bearer <JWT>, when JWT is configured).
 * Failures are UNAUTHENTICATED and never echo what was presented.
 */
export function credentialsAuthenticator(
  current: () => {
    readonly holders: readonly KeyHolder[];
    readonly jwt: JwtVerifier | undefined;
    readonly anonymousNetworks: readonly NetworkSet[];
  },
): Authenticator {
  return {
    async authenticate(credentials) {
      const { holders, jwt, anonymousNetworks } = current();
      // Two credentials could name two callers: refuse rather than pick one (even when they agree).
      const both = ambiguity(credentials);
      if (both) throw unauthenticated(`ambiguous credentials: ${both} were sent; send only one credential`);
      const {
        peer,
        authorization: [authorization],
        apiKeys: [apiKey],
      } = credentials;
      if (peer.presented) {
        if (!peer.trusted) throw unauthenticated(`client certificate not accepted: ${peer.error}`);
        return peer.principal;
      }
      let bearer: string | undefined;
      if (authorization !== undefined) {
        const match = /^Bearer[ ]+([\x21-\x7e]+)[ ]*$/i.exec(authorization);
        if (!match?.[1]) throw unauthenticated('malformed Authorization header: expected "Bearer <API key or JWT>"');
        bearer = match[1];
      }
      const presented = bearer ?? apiKey;
      if (presented === undefined && anonymousNetworks.some((n) => n.has(credentials.address))) {
        // No credentials at all, from a network an anonymous rule lists. A
        // credential that fails is never downgraded to anonymous.
        return NETWORK_ANONYMOUS;
      }
      if (presented === undefined || presented === "") {
        throw unauthenticated(
          "missing credentials: send Authorization: Bearer <API key or JWT>, or x-api-key: <API key>",
        );
      }
      if (bearer !== undefined && jwt && /^[\w-]+\.[\w-]*\.[\w-]*$/.test(bearer)) {
        const result = await jwt.verify(bearer);
        if ("failure" in result) throw unauthenticated(`invalid JWT: ${result.failure}`);
        return result;
      }
      const holder = findKeyHolder(holders, presented);
      if (!holder) throw unauthenticated("invalid API key");
      return { subject: holder.name, groups: holder.groups, method: "api-key" };
    },
  };
}

function unauthenticated(message: string): ConnectError {
  return new ConnectError(message, Code.Unauthenticated);
}
