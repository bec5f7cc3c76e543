import { readFile } from "node:fs/promises";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from "yaml";
import { MAX_CACHE_WINDOW_SECONDS } from "../../core/cache-window.js";
import { formatDuration, parseDurationSeconds } from "../../core/duration.js";
import {
  ANONYMOUS_ENTRY,
  GROUP_NAMESPACES,
  IDENTITY_NAMESPACES,
  instantiateTemplate,
  OPERATIONS,
  type Operation,
  type Policy,
  PRINCIPAL_PREFIXES,
  type Rule,
} from "../../core/policy/policy.js";
import { ConfigError } from "../config/config.js";
import type { SealingKey } from "../tokens/jwe-sealer.js";
import { Networks } from "./networks.js";

/** An API key holder. Keys are stored as SHA-256 digests, never in clear. */
export interface KeyHolder {
  readonly name: string;
  readonly apiKeySha256: readonly Buffer[];
  readonly groups: readonly string[];
}

export interface JwtSettings {
  readonly jwksUrl?: string;
  readonly jwksFile?: string;
  readonly issuer: string;
  readonly audience: string;
  readonly clockSkewSeconds: number;
  readonly groupsClaim: string;
}

/** The parsed policy file: who may call (API keys, JWT) and what they may sign (rules). */
export interface PolicyFile extends Policy {
  readonly principals: readonly KeyHolder[];
  readonly jwt?: JwtSettings;
  /** Keys sealing object handles: the first seals, all open. */
  readonly handleKeys?: readonly SealingKey[];
  /** Things that work but should be written otherwise, each as "file:line:col: path: advice". */
  readonly warnings: readonly string[];
}

/** Where the policy is: a file of its own, or the `policy:` mapping of a config file (`inline`). */
export interface PolicyLocation {
  readonly path: string;
  readonly inline?: boolean;
  /** How an unreadable file's error names the setting; default "--policy (PRESIGND_POLICY)". */
  readonly setting?: string;
}

export async function loadPolicyFile(location: string | PolicyLocation): Promise<PolicyFile> {
  const { path, inline, setting } = typeof location === "string" ? { path: location } : location;
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(
      `${setting ?? "--policy (PRESIGND_POLICY)"}: cannot read ${path}: ${(error as Error).message}`,
    );
  }
  return parsePolicy(text, path, inline ? { section: INLINE_SECTION } : {});
}

/** The config file's key whose mapping is an inline policy. */
const INLINE_SECTION = "policy";

/**
 * Parses and validates a policy document (YAML, or JSON, which is YAML), or
 * with `section` the mapping under that key of a config file. Every problem is
 * reported at once, each as "file:line:col: path: problem" (problems also one
 * by one in the ConfigError's `problems`).
 */
export function parsePolicy(text: string, source: string, options: { section?: string } = {}): PolicyFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems: string[] = [];
  const warnings: string[] = [];
  const prefix = options.section === undefined ? "" : `${options.section}.`;
  const position = (node: Node | null | undefined, path: string, text: string) => {
    const pos = node?.range ? lines.linePos(node.range[0]) : { line: 1, col: 1 };
    const named = path === "(document)" && options.section !== undefined ? options.section : `${prefix}${path}`;
    return `${source}:${pos.line}:${pos.col}: ${named}: ${text}`;
  };
  const invalid = () => new ConfigError(`invalid policy file\n  ${problems.join("\n  ")}`, [...problems]);
  const at = (node: Node | null | undefined, path: string, problem: string) => {
    problems.push(position(node, path, problem));
  };
  const warn = (node: Node | null | undefined, path: string, advice: string) => {
    warnings.push(position(node, path, advice));
  };
  for (const error of doc.errors) {
    const pos = lines.linePos(error.pos[0]);
    problems.push(`${source}:${pos.line}:${pos.col}: ${error.message.split("\n")[0]}`);
  }
  if (problems.length > 0) throw invalid();

  const root = options.section === undefined ? doc.contents : doc.get(options.section, true);
  if (!isMap(root)) {
    at(root as Node, "(document)", "expected a mapping with principals, jwt and rules");
    throw invalid();
  }
  const v = new Validator(at);
  v.keys(root, "(document)", ["principals", "jwt", "rules", "handles"]);

  const principals: KeyHolder[] = [];
  const seenDigests = new Set<string>();
  v.list(root.get("principals", true), "principals", (node, path) => {
    if (!v.keys(node, path, ["name", "api_key_sha256", "groups"])) return;
    const nameNode = node.get("name", true);
    const name = v.string(nameNode, `${path}.name`, /^[A-Za-z0-9._@:-]{1,128}$/, "1-128 letters, digits or ._@:-");
    if (name !== undefined && (name === ANONYMOUS_ENTRY || PRINCIPAL_PREFIXES.some((p) => name.startsWith(p)))) {
      at(nameNode as Node, `${path}.name`, `"${name}" is reserved (it would read as a rule namespace)`);
    }
    const digests: Buffer[] = [];
    v.list(node.get("api_key_sha256", true), `${path}.api_key_sha256`, (item, p) => {
      const hex = v.string(item, p, /^[0-9a-f]{64}$/, "the lower-case hex SHA-256 of the key (sha256sum)");
      if (hex === undefined) return;
      if (seenDigests.has(hex)) at(item, p, "this key digest is already listed");
      seenDigests.add(hex);
      digests.push(Buffer.from(hex, "hex"));
    });
    const groups = v.strings(node.get("groups", true), `${path}.groups`, false);
    if (name !== undefined) principals.push({ name, apiKeySha256: digests, groups });
  });

  let jwt: JwtSettings | undefined;
  const jwtNode = root.get("jwt", true);
  if (
    jwtNode !== undefined &&
    v.keys(jwtNode, "jwt", ["jwks_url", "jwks_file", "issuer", "audience", "clock_skew", "groups_claim"])
  ) {
    const map = jwtNode as YAMLMap;
    const jwksUrl = v.optionalString(map.get("jwks_url", true), "jwt.jwks_url", /^https?:\/\/\S+$/, "an http(s) URL");
    const jwksFile = v.optionalString(map.get("jwks_file", true), "jwt.jwks_file", /^\S+$/, "a file path");
    if ((jwksUrl === undefined) === (jwksFile === undefined))
      at(map, "jwt", "set exactly one of jwks_url and jwks_file");
    const issuer = v.string(map.get("issuer", true), "jwt.issuer", /^\S+$/, "the expected iss claim");
    const audience = v.string(map.get("audience", true), "jwt.audience", /^\S+$/, "the expected aud claim");
    const skewNode = map.get("clock_skew", true);
    const skew = v.optionalString(skewNode, "jwt.clock_skew", /^\S+$/, "a duration like 30s");
    const groupsClaim = v.optionalString(map.get("groups_claim", true), "jwt.groups_claim", /^\S+$/, "a claim name");
    let clockSkewSeconds = 30;
    if (skew !== undefined) {
      try {
        clockSkewSeconds = parseDurationSeconds(skew);
      } catch (error) {
        at(skewNode as Node, "jwt.clock_skew", (error as Error).message);
      }
    }
    if (issuer !== undefined && audience !== undefined) {
      jwt = {
        ...(jwksUrl ? { jwksUrl } : {}),
        ...(jwksFile ? { jwksFile } : {}),
        issuer,
        audience,
        clockSkewSeconds,
        groupsClaim: groupsClaim ?? "groups",
      };
    }
  }

  const handleKeys: SealingKey[] = [];
  const handlesNode = root.get("handles", true);
  if (handlesNode !== undefined && v.keys(handlesNode, "handles", ["keys"])) {
    v.list((handlesNode as YAMLMap).get("keys", true), "handles.keys", (node, path) => {
      if (!v.keys(node, path, ["kid", "secret_base64"])) return;
      const kid = v.string(node.get("kid", true), `${path}.kid`, /^[\w.-]{1,64}$/, "1-64 letters, digits or ._-");
      const secretNode = node.get("secret_base64", true);
      const secret = v.string(
        secretNode,
        `${path}.secret_base64`,
        /^[A-Za-z0-9+/]{43}=$/,
        "32 random bytes in base64 (openssl rand -base64 32)",
      );
      if (kid !== undefined && handleKeys.some((k) => k.kid === kid)) at(node, `${path}.kid`, `"${kid}" is used twice`);
      if (kid !== undefined && secret !== undefined) handleKeys.push({ kid, secret: Buffer.from(secret, "base64") });
    });
  }

  // Each entry of a rule's principals, in its namespace; a bare name is read
  // as the API-key principal of that name (migration), with a warning.
  const names = new Set(principals.map((p) => p.name));
  const groups = new Set(principals.flatMap((p) => p.groups));
  const ruleprincipal = (entry: string, node: Node, path: string): string => {
    if (entry === "*" || entry === ANONYMOUS_ENTRY) return entry;
    const prefix = PRINCIPAL_PREFIXES.find((p) => entry.startsWith(p));
    if (prefix === undefined) {
      if (names.has(entry)) {
        warn(node, path, `bare "${entry}" is read as ${IDENTITY_NAMESPACES["api-key"]}${entry}; write it so`);
        return IDENTITY_NAMESPACES["api-key"] + entry;
      }
      at(
        node,
        path,
        `"${entry}" is not a namespaced principal: write key:<name> for an API-key principal listed under principals, ` +
          "jwt:<sub> for a JWT subject, cert:<identity> for a client certificate, group:<name> or jwt-group:<name>",
      );
      return entry;
    }
    const name = entry.slice(prefix.length);
    if (name === "") at(node, path, `"${prefix}" names nobody`);
    else if (prefix === IDENTITY_NAMESPACES["api-key"] && !names.has(name))
      at(node, path, `"${name}" is not listed under principals`);
    else if (prefix === GROUP_NAMESPACES["api-key"] && !groups.has(name))
      warn(node, path, `no principal is in group "${name}": this entry matches nobody`);
    else if ((prefix === IDENTITY_NAMESPACES.jwt || prefix === GROUP_NAMESPACES.jwt) && jwt === undefined)
      warn(node, path, "there is no jwt section: this entry matches nobody");
    return entry;
  };

  const rules: Rule[] = [];
  const ruleNames = new Set<string>();
  v.list(root.get("rules", true), "rules", (node, path) => {
    const fields = [
      "name",
      "principals",
      "operations",
      "buckets",
      "keys",
      "max_content_length",
      "content_types",
      "max_ttl",
      "cache_window",
      "required_metadata",
      "allow_filename",
      "networks",
    ];
    if (!v.keys(node, path, fields)) return;
    const name = v.string(node.get("name", true), `${path}.name`, /^[\w.-]{1,64}$/, "1-64 letters, digits or ._-");
    if (name !== undefined && ruleNames.has(name))
      at(node.get("name", true) as Node, `${path}.name`, `"${name}" is used twice`);
    if (name !== undefined) ruleNames.add(name);
    const operations = v.strings(node.get("operations", true), `${path}.operations`, true).filter((op, i, all) => {
      if ((OPERATIONS as readonly string[]).includes(op)) return all.indexOf(op) === i;
      at(node.get("operations", true) as Node, `${path}.operations`, `"${op}" is not one of ${OPERATIONS.join(", ")}`);
      return false;
    }) as Operation[];
    const principalsNode = node.get("principals", true);
    const rulePrincipals = v
      .strings(principalsNode, `${path}.principals`, true)
      .map((entry, i) =>
        ruleprincipal(entry, (principalsNode as { items?: Node[] }).items?.[i] ?? node, `${path}.principals[${i}]`),
      );
    const buckets = v.strings(node.get("buckets", true), `${path}.buckets`, true);
    const keys = v.strings(node.get("keys", true), `${path}.keys`, true);
    keys.forEach((key, i) => {
      const problem = templateProblem(key);
      if (problem) at((node.get("keys", true) as { items?: Node[] }).items?.[i] ?? node, `${path}.keys[${i}]`, problem);
    });
    const maxNode = node.get("max_content_length", true);
    let maxContentLength: bigint | undefined;
    if (maxNode !== undefined) {
      const value = isScalar(maxNode) ? maxNode.value : undefined;
      if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) maxContentLength = BigInt(value);
      else at(maxNode as Node, `${path}.max_content_length`, "expected a positive whole number of bytes");
    }
    const contentTypes = node.has("content_types")
      ? v.strings(node.get("content_types", true), `${path}.content_types`, true)
      : undefined;
    const ttlNode = node.get("max_ttl", true);
    let maxTtlSeconds: number | undefined;
    const ttl = v.optionalString(ttlNode, `${path}.max_ttl`, /^\S+$/, "a duration like 1h");
    if (ttl !== undefined) {
      try {
        maxTtlSeconds = parseDurationSeconds(ttl);
      } catch (error) {
        at(ttlNode as Node, `${path}.max_ttl`, (error as Error).message);
      }
    }
    const windowNode = node.get("cache_window", true);
    let cacheWindowSeconds: number | undefined;
    const window = v.optionalString(windowNode, `${path}.cache_window`, /^\S+$/, "a duration like 5m");
    if (window !== undefined) {
      try {
        cacheWindowSeconds = parseDurationSeconds(window);
      } catch (error) {
        at(windowNode as Node, `${path}.cache_window`, (error as Error).message);
      }
    }
    if (cacheWindowSeconds !== undefined) {
      if (cacheWindowSeconds > MAX_CACHE_WINDOW_SECONDS)
        at(windowNode as Node, `${path}.cache_window`, `must be at most ${formatDuration(MAX_CACHE_WINDOW_SECONDS)}`);
      else if (maxTtlSeconds !== undefined && cacheWindowSeconds > maxTtlSeconds)
        at(
          windowNode as Node,
          `${path}.cache_window`,
          "must not be longer than max_ttl (a URL could be expired when handed out)",
        );
      else if (!operations.includes("get") && !operations.includes("head"))
        warn(windowNode as Node, `${path}.cache_window`, "applies to get and head only, and this rule allows neither");
    }
    const requiredMetadata = node.has("required_metadata")
      ? v.strings(node.get("required_metadata", true), `${path}.required_metadata`, true)
      : undefined;
    const networksNode = node.get("networks", true);
    let networks: Networks | undefined;
    if (networksNode !== undefined) {
      const parsed = Networks.parse(v.strings(networksNode, `${path}.networks`, true));
      if (parsed instanceof Networks) networks = parsed;
      else
        at(
          (networksNode as { items?: Node[] }).items?.[parsed.index] ?? networksNode,
          `${path}.networks[${parsed.index}]`,
          parsed.problem,
        );
    }
    if (rulePrincipals.includes(ANONYMOUS_ENTRY) && networksNode === undefined)
      at(
        principalsNode as Node,
        `${path}.principals`,
        `"${ANONYMOUS_ENTRY}" (callers without credentials) needs networks: the CIDRs they may call from`,
      );
    const filenameNode = node.get("allow_filename", true);
    const filenameValue = isScalar(filenameNode) ? filenameNode.value : filenameNode;
    if (filenameNode !== undefined && typeof filenameValue !== "boolean")
      at(filenameNode as Node, `${path}.allow_filename`, "expected true or false");
    if (name !== undefined) {
      rules.push({
        name,
        principals: rulePrincipals,
        operations,
        buckets,
        keys,
        ...(maxContentLength === undefined ? {} : { maxContentLength }),
        ...(contentTypes === undefined ? {} : { contentTypes }),
        ...(maxTtlSeconds === undefined ? {} : { maxTtlSeconds }),
        ...(cacheWindowSeconds === undefined ? {} : { cacheWindowSeconds }),
        ...(requiredMetadata === undefined ? {} : { requiredMetadata }),
        ...(filenameValue === true ? { allowFilename: true } : {}),
        ...(networks ? { networks } : {}),
      });
    }
  });
  if (problems.length > 0) throw invalid();
  if (principals.length === 0 && jwt === undefined && !rules.some((r) => r.principals.includes(ANONYMOUS_ENTRY))) {
    problems.push(
      `${source}: no way to authenticate: list principals with api_key_sha256, configure jwt, or allow anonymous callers from networks`,
    );
    throw invalid();
  }
  return {
    principals,
    ...(jwt ? { jwt } : {}),
    rules,
    ...(handleKeys.length > 0 ? { handleKeys } : {}),
    warnings,
  };
}

/** Why a key template is unusable, if it is. */
function templateProblem(template: string): string | undefined {
  if (template === "*") return undefined;
  const body = template.endsWith("*") ? template.slice(0, -1) : template;
  if (body.includes("*")) return 'only a trailing "*" is a wildcard';
  const bare = instantiateTemplate(body, "x");
  if (bare.includes("${")) return 'the only variable is "${sub}"';
  if (bare.split("/").some((s) => s === "." || s === "..")) return 'must not contain "." or ".." segments';
  if (bare.includes("//")) return 'must not contain "//"';
  if (bare.normalize("NFC") !== bare) return "must be in Unicode NFC (keys are matched in NFC)";
  return undefined;
}

class Validator {
  // Missing settings are reported at the mapping that lacks them.
  private current: Node | undefined;

  constructor(private readonly at: (node: Node | null | undefined, path: string, problem: string) => void) {}

  keys(node: unknown, path: string, allowed: string[]): node is YAMLMap {
    this.current = node as Node;
    if (!isMap(node)) {
      this.at(node as Node, path, "expected a mapping");
      return false;
    }
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "?";
      if (!allowed.includes(key))
        this.at(pair.key as Node, `${path}.${key}`, `unknown setting; expected one of ${allowed.join(", ")}`);
    }
    return true;
  }

  list(node: unknown, path: string, each: (item: YAMLMap, path: string) => void): void {
    if (node === undefined) return;
    if (!isSeq(node)) {
      this.at(node as Node, path, "expected a list");
      return;
    }
    node.items.forEach((item, i) => {
      each(item as YAMLMap, `${path}[${i}]`);
    });
  }

  string(node: unknown, path: string, pattern: RegExp, expected: string): string | undefined {
    if (node === undefined) {
      this.at(this.current, path, `is required (${expected})`);
      return undefined;
    }
    return this.optionalString(node, path, pattern, expected);
  }

  optionalString(node: unknown, path: string, pattern: RegExp, expected: string): string | undefined {
    if (node === undefined) return undefined;
    const value = isScalar(node) ? node.value : undefined;
    if (typeof value !== "string" || !pattern.test(value)) {
      this.at(node as Node, path, `expected ${expected}`);
      return undefined;
    }
    return value;
  }

  strings(node: unknown, path: string, required: boolean): string[] {
    if (node === undefined) {
      if (required) this.at(this.current, path, "is required (a list)");
      return [];
    }
    if (!isSeq(node)) {
      this.at(node as Node, path, "expected a list of strings");
      return [];
    }
    const out: string[] = [];
    node.items.forEach((item, i) => {
      const value = isScalar(item) ? item.value : undefined;
      if (typeof value === "string" && value.length > 0) out.push(value);
      else this.at(item as Node, `${path}[${i}]`, "expected a non-empty string");
    });
    if (required && out.length === 0 && node.items.length === 0) this.at(node as Node, path, "must not be empty");
    return out;
  }
}
