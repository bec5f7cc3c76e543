/** What a caller asks presignd to sign. */
export type Operation = "get" | "put" | "post" | "multipart";
export const OPERATIONS: readonly Operation[] = ["get", "put", "post", "multipart"];

/** Who is calling, as authentication established it. */
export interface Principal {
  /** API key owner name, or the JWT subject. Substituted for ${sub} in key templates. */
  readonly subject: string;
  readonly groups: readonly string[];
  readonly method: "api-key" | "jwt" | "mtls" | "none";
}

/** One allow rule of the policy file. Rules only allow; nothing matches → denied. */
export interface Rule {
  readonly name: string;
  /** Principal subjects, "group:<name>", or "*" for any authenticated caller. */
  readonly principals: readonly string[];
  readonly operations: readonly Operation[];
  /** Bucket names, or "*" for every bucket the server serves. */
  readonly buckets: readonly string[];
  /** Key templates: exact, or ending in "*" (prefix); "${sub}" is the caller's subject. */
  readonly keys: readonly string[];
  readonly maxContentLength?: bigint;
  /** Exact media types, or "type/*". */
  readonly contentTypes?: readonly string[];
  readonly maxTtlSeconds?: number;
  /** Metadata names every put/post must set. */
  readonly requiredMetadata?: readonly string[];
}

export interface Policy {
  readonly rules: readonly Rule[];
}

/** The request as the policy sees it. */
export interface AccessRequest {
  readonly operation: Operation;
  readonly bucket: string;
  /** The exact key as sent (checked), or for a POST with key_prefix / "${filename}", the prefix. */
  readonly key: string;
  /**
   * The same key normalised (NFC, no empty segments), or undefined when it
   * cannot be. Templated rules match only this form; "*" rules take the key
   * as sent, since they constrain nothing a spelling could escape.
   */
  readonly normalizedKey: string | undefined;
  readonly keyIsPrefix: boolean;
  readonly contentLength?: bigint;
  readonly contentType?: string;
  /** For a POST with content_type_prefix. */
  readonly contentTypeIsPrefix?: boolean;
  readonly metadataNames: readonly string[];
  /**
   * Minting a handle: length, type and metadata are not known yet; they are
   * checked against the minter's rule when the handle is used.
   */
  readonly deferConditions?: boolean;
}

export type Decision =
  | {
      readonly allowed: true;
      readonly rule: string;
      /** The key form the rule matched: the one to sign. */
      readonly key: string;
      readonly maxTtlSeconds?: number;
    }
  | { readonly allowed: false; readonly reason: string };

/**
 * Decides a request against the policy: the first rule that matches every
 * aspect allows it. Denials name the nearest rule's unmet condition but
 * never list key templates the caller may not see.
 */
export function authorize(policy: Policy, principal: Principal, request: AccessRequest): Decision {
  let nearest: string | undefined;
  for (const rule of policy.rules) {
    if (!appliesTo(rule, principal) || !rule.operations.includes(request.operation)) continue;
    if (!rule.buckets.includes("*") && !rule.buckets.includes(request.bucket)) continue;
    const key = rule.keys.includes("*") ? request.key : request.normalizedKey;
    if (key === undefined) {
      nearest ??= `rule "${rule.name}": the key is not in normal form (Unicode NFC, no "//")`;
      continue;
    }
    const asMatched = { key, keyIsPrefix: request.keyIsPrefix };
    if (!rule.keys.some((template) => keyMatches(template, principal.subject, asMatched))) continue;
    const unmet = request.deferConditions ? undefined : unmetCondition(rule, request);
    if (unmet) {
      nearest ??= `rule "${rule.name}": ${unmet}`;
      continue;
    }
    return {
      allowed: true,
      rule: rule.name,
      key,
      ...(rule.maxTtlSeconds === undefined ? {} : { maxTtlSeconds: rule.maxTtlSeconds }),
    };
  }
  return {
    allowed: false,
    reason:
      nearest ?? `no rule allows ${principal.subject} to ${request.operation} this key in bucket "${request.bucket}"`,
  };
}

function appliesTo(rule: Rule, principal: Principal): boolean {
  return rule.principals.some(
    (p) => p === "*" || p === principal.subject || (p.startsWith("group:") && principal.groups.includes(p.slice(6))),
  );
}

// A subject that could widen a template ("*", "/", dot segments) never matches.
const UNSAFE_SUBJECT = /[*/\u0000-\u001f\u007f]|^\.{1,2}$|^$/;

/** Does a key template cover the requested key (or every key under the requested prefix)? */
export function keyMatches(
  template: string,
  subject: string,
  request: Pick<AccessRequest, "key" | "keyIsPrefix">,
): boolean {
  if (template.includes("${sub}")) {
    if (UNSAFE_SUBJECT.test(subject)) return false;
    template = template.replaceAll("${sub}", subject);
  }
  if (template === "*") return true;
  if (template.endsWith("*")) return request.key.startsWith(template.slice(0, -1));
  return !request.keyIsPrefix && request.key === template;
}

function unmetCondition(rule: Rule, request: AccessRequest): string | undefined {
  if (rule.maxContentLength !== undefined && request.operation !== "get") {
    if (request.contentLength === undefined || request.contentLength > rule.maxContentLength) {
      return `content length above ${rule.maxContentLength} bytes`;
    }
  }
  if (rule.contentTypes && request.operation !== "get") {
    const type = request.contentType;
    const allowed =
      type !== undefined &&
      type !== "" &&
      rule.contentTypes.some((t) =>
        t.endsWith("/*")
          ? type.startsWith(t.slice(0, -1))
          : !request.contentTypeIsPrefix && type.split(";")[0]?.trim() === t,
      );
    if (!allowed) return `content type must be one of ${rule.contentTypes.join(", ")}`;
  }
  if (rule.requiredMetadata && request.operation !== "get") {
    const missing = rule.requiredMetadata.filter((name) => !request.metadataNames.includes(name));
    if (missing.length > 0) return `metadata ${missing.join(", ")} is required`;
  }
  return undefined;
}
