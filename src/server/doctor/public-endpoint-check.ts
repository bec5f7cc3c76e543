import { lookup } from "node:dns/promises";
import type { BucketEndpoint } from "../../core/bucket-endpoint.js";
import type { SigningCredentials } from "../../core/signer.js";
import type { CheckResult } from "./doctor-result.js";
import { signedHead } from "./signed-head.js";

/** --public-endpoint: its host resolves here, and a HEAD presigned for it (as callers get URLs) is accepted. */
export async function checkPublicEndpoint(
  endpoint: BucketEndpoint,
  credentials: SigningCredentials,
): Promise<CheckResult> {
  const base = { check: "public-endpoint" as const, bucket: endpoint.bucket };
  try {
    await lookup(endpoint.hostname);
  } catch (error) {
    return {
      ...base,
      status: "fail",
      message: `${endpoint.hostname} does not resolve (${(error as { code?: string }).code ?? (error as Error).message})`,
      fix: "set --public-endpoint to the name clients reach the store by, and give it a DNS record",
    };
  }
  const answer = await signedHead(endpoint, credentials);
  if ("unreachable" in answer) {
    return {
      ...base,
      status: "warn",
      message: `${endpoint.hostname} resolves but does not answer from this host (${answer.unreachable}); clients may still reach it`,
      fix: "run presignd doctor from a network clients use, or check --public-endpoint",
    };
  }
  if (answer.status >= 300) {
    return {
      ...base,
      status: "fail",
      message: `a HEAD presigned for ${endpoint.hostname} got HTTP ${answer.status}${answer.status === 403 ? " (a signed Host the store does not accept?)" : ""}`,
      fix: "set --public-endpoint to a name of the same store that accepts the signed Host (a proxy must pass Host through)",
    };
  }
  return { ...base, status: "ok", message: `a HEAD presigned for ${endpoint.hostname} is accepted` };
}
