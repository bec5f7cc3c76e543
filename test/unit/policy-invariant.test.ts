import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  type AccessRequest,
  authorize,
  instantiateTemplate,
  isTemplateSubject,
  type Policy,
  type Principal,
  type Rule,
} from "../../src/core/policy/policy.js";
import { accessRequest } from "../support/access-request.js";

/** How the test itself expands a template: no String.replace anywhere. */
function expand(template: string, subject: string): string {
  let out = "";
  let rest = template;
  for (let at = rest.indexOf("${sub}"); at !== -1; at = rest.indexOf("${sub}")) {
    out += rest.slice(0, at) + subject;
    rest = rest.slice(at + "${sub}".length);
  }
  return out + rest;
}

const request = (key: string, extra: Partial<AccessRequest> = {}) => accessRequest(key, extra, "put");

const NAMESPACE: Record<Exclude<Principal["method"], "none" | "anonymous">, string> = {
  "api-key": "key:",
  jwt: "jwt:",
  mtls: "cert:",
};
const GROUP_NAMESPACE: Partial<Record<Principal["method"], string>> = { "api-key": "group:", jwt: "jwt-group:" };

/** Does the rule name this caller: "*", its own namespaced identity, or one of its groups in its namespace? */
function namesCaller(rule: Rule, p: Principal): boolean {
  if (p.method === "none" || p.method === "anonymous") return false;
  const groupNs = GROUP_NAMESPACE[p.method];
  return rule.principals.some(
    (entry) =>
      entry === "*" ||
      entry === NAMESPACE[p.method as keyof typeof NAMESPACE] + p.subject ||
      (groupNs !== undefined && p.groups.some((g) => entry === groupNs + g)),
  );
}

// Subjects: arbitrary Unicode, and strings built from the characters that
// broke the old expansion ($ patterns) and those that widen a template.
const hostile = fc.string({
  unit: fc.constantFrom("$", "`", "'", "&", "$$", "$&", "$`", "$'", "b", "o", "/", "*", ".", "é", "e\u0301", "\u0000"),
  maxLength: 8,
});
const subject = fc.oneof(fc.string({ unit: "binary", maxLength: 12 }), hostile, fc.constantFrom("alice", "bob", "$"));
const method = fc.constantFrom<Principal["method"]>("api-key", "jwt", "mtls");
const name = fc.constantFrom("alice", "bob", "$", "$`bob", "services", "staff");
const entry = fc.oneof(
  fc.constant("*"),
  fc.tuple(fc.constantFrom("key:", "jwt:", "cert:", "group:", "jwt-group:"), name).map(([ns, n]) => ns + n),
);
const template = fc.constantFrom(
  "users/${sub}/*",
  "${sub}/*",
  "${sub}",
  "a/${sub}/b/*",
  "${sub}-${sub}/*",
  "bob/*",
  "shared/alice-only/*",
);
const rule = fc.record({
  name: fc.constant(""),
  principals: fc.array(entry, { minLength: 1, maxLength: 3 }),
  operations: fc.constant(["put" as const]),
  buckets: fc.constant(["b"]),
  keys: fc.array(template, { minLength: 1, maxLength: 2 }),
});
// Keys a caller might ask for: its own prefix, someone else's, or junk.
const keySuffix = fc.string({ unit: fc.constantFrom("x", "/", ".", "$", "`", "'", "&", "é"), maxLength: 6 });

describe("policy invariant (property)", () => {
  it("a signed key is always inside a template instantiated with the caller's own, unmodified subject, for a rule that names that caller", () => {
    fc.assert(
      fc.property(
        fc.array(rule, { minLength: 1, maxLength: 3 }).map((rs) => rs.map((r, i) => ({ ...r, name: `r${i}` }))),
        subject,
        method,
        fc.array(name, { maxLength: 2 }),
        fc.oneof(subject, fc.constantFrom("bob", "$", "users/bob", "shared/alice-only")),
        keySuffix,
        fc.boolean(),
        (rules, sub, how, groups, keyHead, tail, prefix) => {
          const principal: Principal = { subject: sub, groups, method: how };
          const policy: Policy = { rules };
          const key = `${keyHead}/${tail}`;
          let decision: ReturnType<typeof authorize>;
          try {
            decision = authorize(policy, principal, request(key, { keyIsPrefix: prefix }));
          } catch {
            return; // invalid keys never get this far in the server (checkObjectKey)
          }
          if (!decision.allowed) return;
          const allowing = rules.find((r) => r.name === decision.rule && namesCaller(r, principal));
          assert.ok(allowing, `rule ${decision.rule} does not name ${how}:${JSON.stringify(sub)}`);
          const inside = allowing.keys.some((t) => {
            if (t.includes("${sub}") && !isTemplateSubject(sub)) return false;
            const literal = expand(t, sub);
            if (literal.endsWith("*")) return decision.key.startsWith(literal.slice(0, -1));
            return !prefix && decision.key === literal;
          });
          assert.ok(inside, `${JSON.stringify(decision.key)} is outside every template of ${allowing.name} for ${sub}`);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it("expands literally: $ replacement patterns in a subject are not interpreted", () => {
    for (const sub of ["$`bob", "$$", "$&", "bob$'", "$1", "$<x>"]) {
      assert.equal(instantiateTemplate("users/${sub}/*", sub), `users/${sub}/*`);
    }
  });

  it("the reviewed attacks are refused (each signed bob's or another's key before)", () => {
    const jwt = (sub: string): Principal => ({ subject: sub, groups: [], method: "jwt" });
    const cases: Array<[string, string, string]> = [
      ["${sub}/*", "$`bob", "bob/x"],
      ["${sub}/*", "$$", "$/x"],
      ["users/${sub}/*", "$&", "users/${sub}/x"],
      ["users/${sub}/*", "bob$'", "users/bob/*/x"],
      ["users/${sub}/*", "bob$'", "users/bob/x"],
    ];
    for (const [t, sub, key] of cases) {
      const policy: Policy = {
        rules: [{ name: "home", principals: ["*"], operations: ["put"], buckets: ["b"], keys: [t] }],
      };
      const decision = authorize(policy, jwt(sub), request(key));
      assert.equal(decision.allowed, false, `${sub} got ${key}`);
      if (!decision.allowed) assert.match(decision.reason, /the caller's subject cannot fill "\$\{sub\}"/);
    }
  });

  it("subjects allowed in templates: letters and digits of any script in NFC, a few marks; nothing else", () => {
    for (const ok of ["alice", "auth0|5f1c", "svc@example.com", "zo\u00eb", "用户", "a.b", "x-1_2~3+4=5:6,7"])
      assert.ok(isTemplateSubject(ok), ok);
    for (const bad of ["", ".", "..", "a/b", "*", "a$b", "zoe\u0308", "a b", "a\u0085b", "a\uff0fb", "x".repeat(257)])
      assert.ok(!isTemplateSubject(bad), JSON.stringify(bad));
  });

  it("namespaces: a JWT subject or IdP group never takes an API-key principal's or policy group's rules", () => {
    const policy: Policy = {
      rules: [
        { name: "alice-only", principals: ["key:alice"], operations: ["put"], buckets: ["b"], keys: ["shared/*"] },
        { name: "services", principals: ["group:services"], operations: ["put"], buckets: ["b"], keys: ["svc/*"] },
        { name: "idp", principals: ["jwt-group:services"], operations: ["put"], buckets: ["b"], keys: ["idp/*"] },
        { name: "cert", principals: ["cert:alice"], operations: ["put"], buckets: ["b"], keys: ["mtls/*"] },
      ],
    };
    const jwtAlice: Principal = { subject: "alice", groups: ["services"], method: "jwt" };
    const keyAlice: Principal = { subject: "alice", groups: ["services"], method: "api-key" };
    const certAlice: Principal = { subject: "alice", groups: [], method: "mtls" };
    const allowed = (p: Principal, key: string) => authorize(policy, p, request(key)).allowed;
    assert.deepEqual(
      ["shared/x", "svc/x", "idp/x", "mtls/x"].map((k) => [
        allowed(jwtAlice, k),
        allowed(keyAlice, k),
        allowed(certAlice, k),
      ]),
      [
        [false, true, false],
        [false, true, false],
        [true, false, false],
        [false, false, true],
      ],
    );
  });
});
