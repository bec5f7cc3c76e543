import type { TLSSocket } from "node:tls";
import type { Principal } from "../../core/policy/policy.js";

/** What the TLS layer established about the client certificate of this connection. */
export type PeerCertificate =
  | { readonly presented: false }
  | { readonly presented: true; readonly trusted: false; readonly error: string }
  | { readonly presented: true; readonly trusted: true; readonly principal: Principal };

export const NO_PEER_CERTIFICATE: PeerCertificate = { presented: false };

/**
 * The client certificate of a request's connection: its identity when
 * verified — a SPIFFE/URI SAN, else the first DNS SAN, else the subject CN.
 */
export function peerCertificate(socketOfRequest: unknown): PeerCertificate {
  const socket = socketOfRequest as Partial<TLSSocket> | undefined;
  if (!socket || typeof socket.getPeerCertificate !== "function") return NO_PEER_CERTIFICATE;
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return NO_PEER_CERTIFICATE;
  if (!socket.authorized) {
    return {
      presented: true,
      trusted: false,
      error: String(socket.authorizationError ?? "not signed by the configured client CA"),
    };
  }
  const sans = (cert.subjectaltname ?? "").split(/,\s*/);
  const uri = sans.find((s) => s.startsWith("URI:"))?.slice(4);
  const dns = sans.find((s) => s.startsWith("DNS:"))?.slice(4);
  const cn = Array.isArray(cert.subject?.CN) ? cert.subject.CN[0] : cert.subject?.CN;
  const subject = uri ?? dns ?? cn;
  if (!subject) return { presented: true, trusted: false, error: "certificate names no subject" };
  return { presented: true, trusted: true, principal: { subject, groups: [], method: "mtls" } };
}
