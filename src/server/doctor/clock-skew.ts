import type { CheckResult } from "./doctor-result.js";

/** SigV4: S3 refuses a request whose X-Amz-Date is this far from its own clock. */
export const SIGV4_SKEW_LIMIT_MS = 15 * 60_000;
/** Beyond this a short-lived URL is noticeably shorter-lived (or not yet valid) at the store. */
export const SKEW_WARN_MS = 60_000;

const FIX = "synchronise this host's clock with NTP (timedatectl set-ntp true, or chrony/ntpd)";

/**
 * The local clock against the store's `Date` header. `skewMs` is local minus
 * store: positive when this host runs ahead. HTTP dates have 1 s resolution.
 */
export function classifySkew(skewMs: number, limitMs: number = SIGV4_SKEW_LIMIT_MS): CheckResult {
  const seconds = Math.round(skewMs / 1000);
  const side = seconds > 0 ? "ahead of" : "behind";
  const text = seconds === 0 ? "within 1 s of the store's clock" : `${Math.abs(seconds)} s ${side} the store's clock`;
  if (Math.abs(skewMs) >= limitMs) {
    return {
      check: "clock-skew",
      status: "fail",
      message: `this host is ${text}: SigV4 tolerates ${limitMs / 60_000} min, the store refuses every request (RequestTimeTooSkewed)`,
      fix: FIX,
    };
  }
  if (Math.abs(skewMs) >= SKEW_WARN_MS) {
    return {
      check: "clock-skew",
      status: "warn",
      message: `this host is ${text}: URLs live that much ${seconds > 0 ? "longer" : "shorter"} at the store than their TTL says`,
      fix: FIX,
    };
  }
  return { check: "clock-skew", status: "ok", message: `this host is ${text}` };
}

/** The skew check from the `Date` of a store's answer received at `receivedAt`; undefined when it sent none. */
export function skewFromDate(date: string | null | undefined, receivedAt: Date): CheckResult | undefined {
  if (!date) return undefined;
  const storeTime = Date.parse(date);
  if (Number.isNaN(storeTime)) return undefined;
  // The store's clock truncated to its second: on average half a second later than the header says.
  return classifySkew(receivedAt.getTime() - (storeTime + 500));
}
