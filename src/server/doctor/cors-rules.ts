import type { CORSRule } from "@aws-sdk/client-s3";

/**
 * What a browser on a --cors-origin page sends to the bucket with presignd's
 * URLs, and the S3 CORS rules that let it: pure, so that the evaluation and
 * the fix are tested without a store.
 */

/** Methods a page must be allowed: uploads (PUT, POST forms and multipart completion) and downloads. */
export const REQUIRED_METHODS = ["PUT", "POST", "GET", "HEAD"] as const;
/** Allowed too by the fix; without it a cancelled browser multipart upload is not aborted (warned about). */
export const OPTIONAL_METHODS = ["DELETE"] as const;
/** Request headers presignd signs (or a page sends for ranges); `x-amz-meta-*` stands for every metadata name. */
export const REQUIRED_HEADERS = [
  "content-type",
  "content-md5",
  "x-amz-checksum-sha256",
  "x-amz-checksum-crc32c",
  "x-amz-meta-*",
  "range",
];
/** ETag: browser multipart completion reads each part's; Content-Range: ranged downloads. */
export const REQUIRED_EXPOSED = "ETag";
export const OPTIONAL_EXPOSED = "Content-Range";
/** The ID of the rule --fix-cors writes, so that a later fix replaces it. */
export const FIX_RULE_ID = "presignd";
const FIX_MAX_AGE_SECONDS = 3600;

/** How one origin fares against a bucket's rules. */
export interface OriginCors {
  readonly origin: string;
  /** Fatal: a required method or header not allowed, ETag not exposed. */
  readonly problems: readonly string[];
  /** Not fatal: DELETE not allowed, Content-Range not exposed. */
  readonly warnings: readonly string[];
}

/** S3's wildcard: at most one `*`, matching any run of characters; case-insensitive for headers. */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const [p, v] = ignoreCase ? [pattern.toLowerCase(), value.toLowerCase()] : [pattern, value];
  const star = p.indexOf("*");
  if (star < 0) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

/** An allowed header pattern covers a required header; `x-amz-meta-*` is covered only by a pattern covering every metadata name. */
function headerCovered(allowed: readonly string[], required: string): boolean {
  if (!required.endsWith("*")) return allowed.some((a) => wildcard(a, required, true));
  const prefix = required.slice(0, -1).toLowerCase();
  return allowed.some((a) => a.endsWith("*") && prefix.startsWith(a.slice(0, -1).toLowerCase()));
}

/** The first rule S3 would apply to a preflight from `origin` for `method` with every required header. */
function ruleFor(rules: readonly CORSRule[], origin: string, method: string): CORSRule | undefined {
  return rules.find(
    (rule) =>
      (rule.AllowedOrigins ?? []).some((o) => wildcard(o, origin, false)) &&
      (rule.AllowedMethods ?? []).includes(method) &&
      REQUIRED_HEADERS.every((h) => headerCovered(rule.AllowedHeaders ?? [], h)),
  );
}

function exposes(rule: CORSRule, header: string): boolean {
  return (rule.ExposeHeaders ?? []).some((h) => h.toLowerCase() === header.toLowerCase());
}

/** Evaluates a bucket's CORS rules for one page origin, as S3 picks rules: the first that matches. */
export function evaluateCors(rules: readonly CORSRule[], origin: string): OriginCors {
  const problems: string[] = [];
  const warnings: string[] = [];
  const matchesOrigin = rules.filter((rule) => (rule.AllowedOrigins ?? []).some((o) => wildcard(o, origin, false)));
  if (matchesOrigin.length === 0) return { origin, problems: [`no rule allows origin ${origin}`], warnings };
  const blocked: string[] = [];
  const unexposed = new Set<string>();
  for (const method of REQUIRED_METHODS) {
    const rule = ruleFor(rules, origin, method);
    if (!rule) {
      blocked.push(method);
      continue;
    }
    // Uploads (multipart parts) need the ETag; downloads need Content-Range for ranges.
    if ((method === "PUT" || method === "POST") && !exposes(rule, REQUIRED_EXPOSED)) unexposed.add(REQUIRED_EXPOSED);
    if (method === "GET" && !exposes(rule, OPTIONAL_EXPOSED))
      warnings.push(`${OPTIONAL_EXPOSED} not exposed (ranged downloads)`);
  }
  if (blocked.length > 0) {
    const allowedSomewhere = blocked.filter((m) => matchesOrigin.some((r) => (r.AllowedMethods ?? []).includes(m)));
    const missingHeaders = REQUIRED_HEADERS.filter(
      (h) => !matchesOrigin.some((r) => headerCovered(r.AllowedHeaders ?? [], h)),
    );
    problems.push(
      allowedSomewhere.length > 0
        ? `${blocked.join(", ")} not allowed with the signed headers (AllowedHeaders must cover ${(missingHeaders.length > 0 ? missingHeaders : REQUIRED_HEADERS).join(", ")})`
        : `${blocked.join(", ")} not allowed`,
    );
  }
  if (unexposed.size > 0) problems.push(`${REQUIRED_EXPOSED} not exposed (browser multipart uploads need it)`);
  for (const method of OPTIONAL_METHODS) {
    if (!ruleFor(rules, origin, method))
      warnings.push(`${method} not allowed (a cancelled browser upload is not aborted)`);
  }
  return { origin, problems, warnings };
}

/** The rule --fix-cors writes for the configured origins. */
export function fixRule(origins: readonly string[]): CORSRule {
  return {
    ID: FIX_RULE_ID,
    AllowedOrigins: [...origins],
    AllowedMethods: ["GET", "PUT", "POST", "HEAD", "DELETE"],
    AllowedHeaders: ["*"],
    ExposeHeaders: [REQUIRED_EXPOSED, OPTIONAL_EXPOSED],
    MaxAgeSeconds: FIX_MAX_AGE_SECONDS,
  };
}

/** The CORS configuration --fix-cors writes, and what it does to the rules already there. */
export interface CorsFix {
  readonly rules: readonly CORSRule[];
  /** One line per existing rule: replaced (or kept, and why it no longer decides for the origins). */
  readonly changes: readonly string[];
}

function describeRule(rule: CORSRule, index: number): string {
  const id = rule.ID ? ` "${rule.ID}"` : "";
  return `rule ${index + 1}${id} (origins ${(rule.AllowedOrigins ?? []).join(" ")}; methods ${(rule.AllowedMethods ?? []).join(" ")})`;
}

/**
 * presignd's rule first (S3 applies the first rule that matches), then the
 * existing rules it does not make redundant: a rule is replaced when it is
 * an earlier fix or every origin it allows is a configured one (the new
 * rule allows everything it did); rules for other origins are kept.
 */
export function corsFix(existing: readonly CORSRule[], origins: readonly string[]): CorsFix {
  const changes: string[] = [];
  const kept: CORSRule[] = [];
  existing.forEach((rule, index) => {
    const ruleOrigins = rule.AllowedOrigins ?? [];
    if (rule.ID === FIX_RULE_ID || (ruleOrigins.length > 0 && ruleOrigins.every((o) => origins.includes(o)))) {
      changes.push(`replaces ${describeRule(rule, index)}`);
      return;
    }
    const shadowed = origins.filter((origin) => ruleOrigins.some((o) => wildcard(o, origin, false)));
    changes.push(
      shadowed.length > 0
        ? `keeps ${describeRule(rule, index)} after the new rule, which now decides for ${shadowed.join(" ")}`
        : `keeps ${describeRule(rule, index)}`,
    );
    kept.push(rule);
  });
  if (existing.length === 0) changes.push("the bucket has no CORS rules: adds one");
  return { rules: [fixRule(origins), ...kept], changes };
}

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };
const escapeXml = (text: string) => text.replace(/[&<>"']/g, (c) => XML_ESCAPES[c] as string);

/** The CORSConfiguration document PutBucketCors sends for `rules`, indented for reading. */
export function corsXml(rules: readonly CORSRule[]): string {
  const lines = ["<CORSConfiguration>"];
  for (const rule of rules) {
    lines.push("  <CORSRule>");
    const element = (name: string, value: string | number | undefined) => {
      if (value !== undefined) lines.push(`    <${name}>${escapeXml(String(value))}</${name}>`);
    };
    element("ID", rule.ID);
    for (const o of rule.AllowedOrigins ?? []) element("AllowedOrigin", o);
    for (const m of rule.AllowedMethods ?? []) element("AllowedMethod", m);
    for (const h of rule.AllowedHeaders ?? []) element("AllowedHeader", h);
    for (const h of rule.ExposeHeaders ?? []) element("ExposeHeader", h);
    element("MaxAgeSeconds", rule.MaxAgeSeconds);
    lines.push("  </CORSRule>");
  }
  lines.push("</CORSConfiguration>");
  return `${lines.join("\n")}\n`;
}
