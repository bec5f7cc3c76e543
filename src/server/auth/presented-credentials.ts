import { createContextKey, createContextValues } from "@connectrpc/connect";
import type { NodeRequest } from "../node-http.js";
import { NO_PEER_CERTIFICATE, type PeerCertificate, peerCertificate } from "./peer-certificate.js";

/** Everything a request presented to say who it is; a header field sent twice is two entries. */
export interface PresentedCredentials {
  /** Every Authorization header field, in order. */
  readonly authorization: readonly string[];
  /** Every x-api-key header field, in order. */
  readonly apiKeys: readonly string[];
  readonly peer: PeerCertificate;
}

export const PRESENTED_CREDENTIALS = createContextKey<PresentedCredentials>(
  { authorization: [], apiKeys: [], peer: NO_PEER_CERTIFICATE },
  { description: "presignd presented credentials" },
);

/**
 * Read from the raw request: Node keeps only the first of two Authorization
 * fields in `req.headers` (it is a "single-value" header, on HTTP/1.1 and
 * HTTP/2 alike) and joins x-api-key fields with ", ", so the Fetch Headers
 * connect-es builds from it cannot tell a repeated credential.
 */
export function presentedCredentials(req: NodeRequest): PresentedCredentials {
  const authorization: string[] = [];
  const apiKeys: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name === "authorization") authorization.push(raw[i + 1] as string);
    else if (name === "x-api-key") apiKeys.push(raw[i + 1] as string);
  }
  return { authorization, apiKeys, peer: peerCertificate(req.socket) };
}

/** contextValues for connectNodeAdapter (and the gRPC fast path). */
export function credentialContextValues(req: NodeRequest) {
  return createContextValues().set(PRESENTED_CREDENTIALS, presentedCredentials(req));
}

/** More than one credential, named for a message ("an Authorization header and a client certificate"), or undefined. */
export function ambiguity(credentials: PresentedCredentials): string | undefined {
  const counts: [number, string][] = [
    [credentials.peer.presented ? 1 : 0, "client certificate"],
    [credentials.authorization.length, "Authorization header"],
    [credentials.apiKeys.length, "x-api-key header"],
  ];
  if (counts.reduce((sum, [n]) => sum + n, 0) <= 1) return undefined;
  const parts = counts
    .filter(([n]) => n > 0)
    .map(([n, what]) => (n === 1 ? `${article(what)} ${what}` : plural(n, what)));
  return parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(", ")} and ${parts.at(-1)}`;
}

const article = (word: string) => (/^[aeiouAEIOU]|^x-/.test(word) ? "an" : "a");
const plural = (n: number, what: string) => `${["two", "three", "four"][n - 2] ?? n} ${what}s`;
