/** What a caller asks presignd to sign. "list" and "watch" are of the keys under a prefix (keyIsPrefix). */
export type Operation = "get" | "put" | "post" | "multipart" | "head" | "delete" | "list" | "confirm" | "watch";
export const OPERATIONS: readonly Operation[] = [
  "get",
  "put",
  "post",
  "multipart",
  "head",
  "delete",
  "list",
  "confirm",
  "watch",
];

/**
 * The operations that write an object, whose requests a rule's size, type
 * and metadata conditions bound. ConfirmUpload ("confirm") is bounded by the
 * same conditions, applied to the object it finds (`unmetConditions`).
 */
const WRITES: ReadonlySet<Operation> = new Set(["put", "post", "multipart"]);

/** Who is calling, as authentication established it. */
export interface Principal {
  /** API key owner name, JWT subject or certificate identity. Substituted for ${sub} in key templates. */
  readonly subject: string;
  /** An API-key principal's groups from the policy file; a JWT's groups from the IdP's groups claim. */
  readonly groups: readonly string[];
  /** "anonymous": no credentials, admitted by a rule's networks; "none": development mode without a policy. */
  readonly method: "api-key" | "jwt" | "mtls" | "anonymous" | "none";
}

/** The principal entry for callers without credentials (rules must also list networks). */
export const ANONYMOUS_ENTRY = "anonymous";

/** A set of networks (CIDRs) a peer address is matched against; the server provides it. */
export interface NetworkSet {
  has(address: string): boolean;
}

/**
 * Each authentication method names its callers in its own namespace, so that
 * a JWT subject "alice" never gets the rules of the API-key principal
 * "alice", nor an IdP group those of a policy group.
 */
export const IDENTITY_NAMESPACES = {
  "api-key": "key:",
  jwt: "jwt:",
  mtls: "cert:",
} as const;
/** Groups of API-key principals (policy file) and groups asserted by the IdP (JWT groups claim). */
export const GROUP_NAMESPACES = { "api-key": "group:", jwt: "jwt-group:" } as const;
/** Every prefix a rule's principal entry may start with. */
export const PRINCIPAL_PREFIXES: readonly string[] = [
  ...Object.values(IDENTITY_NAMESPACES),
  ...Object.values(GROUP_NAMESPACES),
];

/** The caller's identity as rules name it: "key:alice", "jwt:auth0|42", "cert:spiffe://…". */
export function identityOf(principal: Principal): string {
  return principal.method === "none" || principal.method === "anonymous"
    ? ANONYMOUS_ENTRY
    : IDENTITY_NAMESPACES[principal.method] + principal.subject;
}

/** The one template variable: the caller's subject. */
const SUB = "${sub}";

/**
 * What a subject may contain before it instantiates "${sub}" in a key
 * template: letters, marks and digits of any script, and . _ ~ @ + = : , | -,
 * 1-256 characters in Unicode NFC, and not "." or "..". Nothing here can
 * widen a template ("*"), leave a segment ("/", fullwidth or not), hide in a
 * log (controls) or be read as a pattern ("$"); and keys are matched in NFC.
 */
const TEMPLATE_SUBJECT = /^(?!\.{1,2}$)[\p{L}\p{M}\p{N}._~@+=:,|-]{1,256}$/u;
export const TEMPLATE_SUBJECT_RULE = "1-256 letters, digits or . _ ~ @ + = : , | - in Unicode NFC (and not . or ..)";

/** May this subject be substituted for "${sub}"? */
export function isTemplateSubject(subject: string): boolean {
  return TEMPLATE_SUBJECT.test(subject) && subject.normalize("NFC") === subject;
}

/** A key template with "${sub}" replaced, literally, by the subject. */
export function instantiateTemplate(template: string, subject: string): string {
  return template.split(SUB).join(subject);
}

/** One allow rule of the policy file. Rules only allow; nothing matches → denied. */
export interface Rule {
  readonly name: string;
  /**
   * Namespaced identities ("key:<name>", "jwt:<sub>", "cert:<identity>"),
   * groups ("group:<name>" from the policy file, "jwt-group:<name>" from the
   * IdP), or "*" for any authenticated caller.
   */
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
  /** GETs and HEADs are signed as of the start of a window this long (seconds): cacheable URLs. */
  readonly cacheWindowSeconds?: number;
  /** Metadata names every put/post must set. */
  readonly requiredMetadata?: readonly string[];
  /**
   * POST policies whose key ends in "${filename}": the browser picks the
   * rest of the key and S3 takes it unchecked (".." segments, control
   * characters), so a rule must allow them explicitly.
   */
  readonly allowFilename?: boolean;
  /** The rule applies only to callers whose peer address is in these networks. */
  readonly networks?: NetworkSet;
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
  /** The caller's address (the socket's peer, or as a trusted proxy forwarded it). */
  readonly peerAddress?: string;
  /** A POST whose key ends in "${filename}" (key is then the part before it). */
  readonly filename?: boolean;
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
      /** The allowing rule's cache window (seconds), the default and the longest a request may ask for. */
      readonly cacheWindowSeconds?: number;
      /** The allowing rule's size limit, the default for a POST that names none. */
      readonly maxContentLength?: bigint;
      /** The allowing rule's conditions on an object (size, type, metadata), for ConfirmUpload. */
      readonly conditions: RuleConditions;
    }
  | {
      readonly allowed: false;
      readonly reason: string;
      /** The nearest rule, whose unmet condition the reason names; none when no rule came near. */
      readonly rule?: string;
    };

/**
 * Decides a request against the policy: the first rule that matches every
 * aspect allows it. Denials name the nearest rule's unmet condition but
 * never list key templates the caller may not see.
 */
export function authorize(
  policy: Policy,
  principal: Principal,
  request: AccessRequest,
  /** How a denial names the principal, when not as itself (a handle's minter). */
  who?: string,
): Decision {
  let nearest: { reason: string; rule: string } | undefined;
  for (const rule of policy.rules) {
    if (!appliesTo(rule, principal, request.peerAddress) || !rule.operations.includes(request.operation)) continue;
    if (!rule.buckets.includes("*") && !rule.buckets.includes(request.bucket)) continue;
    const key = rule.keys.includes("*") ? request.key : request.normalizedKey;
    if (key === undefined) {
      nearest ??= { reason: `the key is not in normal form (Unicode NFC, no "//")`, rule: rule.name };
      continue;
    }
    const asMatched = { key, keyIsPrefix: request.keyIsPrefix };
    const templated = rule.keys.some((template) => template.includes(SUB));
    if (templated && !isTemplateSubject(principal.subject)) {
      nearest ??= {
        reason: `the caller's subject cannot fill "\${sub}" (a subject may contain only ${TEMPLATE_SUBJECT_RULE})`,
        rule: rule.name,
      };
    }
    if (!rule.keys.some((template) => keyMatches(template, principal.subject, asMatched))) continue;
    const unmet = request.deferConditions ? undefined : unmetCondition(rule, request);
    if (unmet) {
      nearest ??= { reason: unmet, rule: rule.name };
      continue;
    }
    return {
      allowed: true,
      rule: rule.name,
      key,
      ...(rule.maxTtlSeconds === undefined ? {} : { maxTtlSeconds: rule.maxTtlSeconds }),
      ...(rule.cacheWindowSeconds === undefined ? {} : { cacheWindowSeconds: rule.cacheWindowSeconds }),
      ...(rule.maxContentLength === undefined ? {} : { maxContentLength: rule.maxContentLength }),
      conditions: {
        ...(rule.maxContentLength === undefined ? {} : { maxContentLength: rule.maxContentLength }),
        ...(rule.contentTypes === undefined ? {} : { contentTypes: rule.contentTypes }),
        ...(rule.requiredMetadata === undefined ? {} : { requiredMetadata: rule.requiredMetadata }),
      },
    };
  }
  if (nearest) return { allowed: false, reason: `rule "${nearest.rule}": ${nearest.reason}`, rule: nearest.rule };
  return {
    allowed: false,
    reason: `no rule allows ${who ?? describeCaller(principal)} to ${request.operation} ${request.operation === "list" ? "under this prefix" : "this key"} in bucket "${request.bucket}"`,
  };
}

/**
 * Does the rule name this caller — its own identity, one of its groups, or
 * "*" (any authenticated caller; not anonymous ones) — from one of the
 * rule's networks, if it lists any?
 */
function appliesTo(rule: Rule, principal: Principal, peerAddress: string | undefined): boolean {
  if (rule.networks && !(peerAddress !== undefined && rule.networks.has(peerAddress))) return false;
  if (principal.method === "anonymous") return rule.principals.includes(ANONYMOUS_ENTRY);
  const identity = identityOf(principal);
  const groupPrefix =
    principal.method === "api-key" || principal.method === "jwt" ? GROUP_NAMESPACES[principal.method] : undefined;
  return rule.principals.some(
    (p) =>
      p === "*" ||
      p === identity ||
      (groupPrefix !== undefined &&
        p.startsWith(groupPrefix) &&
        principal.groups.includes(p.slice(groupPrefix.length))),
  );
}

// A hostile subject is never echoed into a reason: only its identity kind.
function describeCaller(principal: Principal): string {
  return isTemplateSubject(principal.subject) ? identityOf(principal) : `this ${principal.method} caller`;
}

/** Does a key template cover the requested key (or every key under the requested prefix)? */
export function keyMatches(
  template: string,
  subject: string,
  request: Pick<AccessRequest, "key" | "keyIsPrefix">,
): boolean {
  if (template.includes(SUB)) {
    if (!isTemplateSubject(subject)) return false;
    template = instantiateTemplate(template, subject);
  }
  if (template === "*") return true;
  if (template.endsWith("*")) return request.key.startsWith(template.slice(0, -1));
  return !request.keyIsPrefix && request.key === template;
}

function unmetCondition(rule: Rule, request: AccessRequest): string | undefined {
  if (request.filename && !rule.allowFilename) {
    return '"${filename}" keys need allow_filename: true (the uploader then names the rest of the key)';
  }
  return WRITES.has(request.operation) ? unmetConditions(rule, request) : undefined;
}

/** What a rule requires of the object written: size, media type, metadata. */
export type RuleConditions = Pick<Rule, "maxContentLength" | "contentTypes" | "requiredMetadata">;

/**
 * The first condition of a rule that an object (a request to write one, or
 * an object found in the store) does not meet, as a reason; undefined when
 * it meets them all. An unknown length or type meets no bound on it.
 */
export function unmetConditions(
  rule: RuleConditions,
  object: Pick<AccessRequest, "contentLength" | "contentType" | "contentTypeIsPrefix" | "metadataNames">,
): string | undefined {
  if (rule.maxContentLength !== undefined) {
    if (object.contentLength === undefined || object.contentLength > rule.maxContentLength) {
      return `content length above ${rule.maxContentLength} bytes`;
    }
  }
  if (rule.contentTypes) {
    const type = object.contentType;
    const allowed =
      type !== undefined &&
      type !== "" &&
      rule.contentTypes.some((t) =>
        t.endsWith("/*")
          ? type.startsWith(t.slice(0, -1))
          : !object.contentTypeIsPrefix && type.split(";")[0]?.trim() === t,
      );
    if (!allowed) return `content type must be one of ${rule.contentTypes.join(", ")}`;
  }
  if (rule.requiredMetadata) {
    const missing = rule.requiredMetadata.filter((name) => !object.metadataNames.includes(name));
    if (missing.length > 0) return `metadata ${missing.join(", ")} is required`;
  }
  return undefined;
}
