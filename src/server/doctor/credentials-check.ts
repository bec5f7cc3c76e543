import type { SigningCredentials } from "../../core/signer.js";
import { sdkErrorLabel } from "../s3/sdk-error-label.js";
import type { CheckResult } from "./doctor-result.js";

const CREDENTIALS_FIX =
  "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or give the host a role (the SDK's default chain)";

/**
 * Loaded credentials against the clock: a URL signed with temporary
 * credentials stops working when they expire, whatever its TTL, so expiry
 * sooner than --max-ttl shortens the longest URLs.
 */
export function classifyCredentials(creds: SigningCredentials, now: Date, maxTtlSeconds: number): CheckResult {
  const kind = creds.sessionToken ? "temporary credentials" : "credentials";
  if (!creds.expiration) return { check: "credentials", status: "ok", message: `${kind} load; no expiry` };
  const leftMs = creds.expiration.getTime() - now.getTime();
  const at = creds.expiration.toISOString();
  if (leftMs <= 0) {
    return { check: "credentials", status: "fail", message: `${kind} expired at ${at}`, fix: CREDENTIALS_FIX };
  }
  const left = `${Math.floor(leftMs / 60_000)} min`;
  if (leftMs < maxTtlSeconds * 1000) {
    return {
      check: "credentials",
      status: "warn",
      message: `${kind} expire at ${at} (in ${left}), before --max-ttl: URLs signed with them stop working then; the SDK refreshes them for later URLs`,
      fix: "use longer-lived credentials (a longer role session), or lower --max-ttl",
    };
  }
  return { check: "credentials", status: "ok", message: `${kind} load; they expire at ${at} (in ${left})` };
}

/** Loads the server's credentials (the SDK's chain, as serve does). */
export async function checkCredentials(
  load: () => Promise<SigningCredentials>,
  now: Date,
  maxTtlSeconds: number,
): Promise<{ result: CheckResult; credentials?: SigningCredentials }> {
  try {
    const credentials = await load();
    return { result: classifyCredentials(credentials, now, maxTtlSeconds), credentials };
  } catch (error) {
    return {
      result: {
        check: "credentials",
        status: "fail",
        message: `credentials do not load (${sdkErrorLabel(error).label}: ${(error as Error).message})`,
        fix: CREDENTIALS_FIX,
      },
    };
  }
}
