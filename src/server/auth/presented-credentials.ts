import { isIP } from "node:net";
import { createContextKey, createContextValues } from "@connectrpc/connect";
import type { NetworkSet } from "../../core/policy/policy.js";
import { unmapped } from "../access/networks.js";
import type { NodeRequest } from "../transport/node-http.js";
import { NO_PEER_CERTIFICATE, type PeerCertificate, peerCertificate } from "./peer-certificate.js";

/** Everything a request presented to say who it is; a header field sent twice is two entries. */
export interface PresentedCredentials {
  /** Every Authorization header field, in order. */
  readonly authorization: readonly string[];
  /** Every x-api-key header field, in order. */
  readonly apiKeys: readonly string[];
  readonly peer: PeerCertificate;
  /**
   * The caller's network address: the socket's peer, or — when that peer is
   * a trusted proxy — the nearest untrusted address of X-Forwarded-For.
   */
  readonly address: string;
}

export const PRESENTED_CREDENTIALS = createContextKey<PresentedCredentials>(
  { authorization: [], apiKeys: [], peer: NO_PEER_CERTIFICATE, address: "" },
  { description: "presignd presented credentials" },
);

/**
 * Read from the raw request: Node keeps only the first of two Authorization
 * fields in `req.headers` (it is a "single-value" header, on HTTP/1.1 and
 * HTTP/2 alike) and joins x-api-key fields with ", ", so the Fetch Headers
 * connect-es builds from it cannot tell a repeated credential.
 */
export function presentedCredentials(req: NodeRequest, trustedProxies?: NetworkSet): PresentedCredentials {
  const authorization: string[] = [];
  const apiKeys: string[] = [];
  const forwardedFor: string[] = [];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name === "authorization") authorization.push(raw[i + 1] as string);
    else if (name === "x-api-key") apiKeys.push(raw[i + 1] as string);
    else if (name === "x-forwarded-for") forwardedFor.push(raw[i + 1] as string);
  }
  const peer = unmapped(req.socket?.remoteAddress ?? "");
  return {
    authorization,
    apiKeys,
    peer: peerCertificate(req.socket),
    address: trustedProxies?.has(peer) ? (forwardedClient(forwardedFor, trustedProxies) ?? peer) : peer,
  };
}

/**
 * X-Forwarded-For read from the right: each trusted proxy appends the address
 * it saw, so the first untrusted one from the right is the client (anything
 * further left is what the client itself claimed).
 */
function forwardedClient(fields: readonly string[], trusted: NetworkSet): string | undefined {
  const hops = fields.flatMap((f) => f.split(",")).map((h) => unmapped(h.trim()));
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (isIP(hop) === 0) return undefined; // a malformed hop: trust nothing forwarded
    if (!trusted.has(hop)) return hop;
  }
  return hops[0];
}

/** contextValues for connectNodeAdapter (and the gRPC fast path). */
export function credentialContextValues(trustedProxies?: NetworkSet) {
  return (req: NodeRequest) =>
    createContextValues().set(PRESENTED_CREDENTIALS, presentedCredentials(req, trustedProxies));
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
