import type { BucketEndpoint } from "../../core/bucket-endpoint.js";
import { DEFAULT_TTL_POLICY } from "../../core/expiry.js";
import { createPresigner, type SigningCredentials, signRequest } from "../../core/signer.js";

/** What the store answered a presigned HEAD of the bucket: its status and when (by its `Date` and ours). */
export type SignedHeadAnswer =
  | { readonly status: number; readonly date: string | null; readonly receivedAt: Date }
  | { readonly unreachable: string };

const TIMEOUT_MS = 15_000;

/**
 * A HEAD of the bucket presigned by presignd's own signer, exactly as the
 * readiness probe sends it (s3-backend.ts): the store's answer says whether
 * it accepts presignd's signatures at `endpoint`.
 */
export async function signedHead(endpoint: BucketEndpoint, credentials: SigningCredentials): Promise<SignedHeadAnswer> {
  const now = new Date();
  const ctx = { presigner: createPresigner(credentials), credentials, now, ttl: DEFAULT_TTL_POLICY };
  const head = await signRequest(
    endpoint,
    { method: "HEAD", path: endpoint.pathPrefix || "/", query: {}, headers: {}, expiresIn: { seconds: 60n, nanos: 0 } },
    ctx,
  );
  try {
    const response = await fetch(head.url, { method: "HEAD", signal: AbortSignal.timeout(TIMEOUT_MS) });
    return { status: response.status, date: response.headers.get("date"), receivedAt: new Date() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { unreachable: cause?.code ?? cause?.message ?? (error as Error).message };
  }
}
