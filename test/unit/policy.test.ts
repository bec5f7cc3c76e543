import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { normalizeKey } from "../../src/core/policy/key-normalization.js";
import {
  type AccessRequest,
  authorize,
  keyMatches,
  type Policy,
  type Principal,
} from "../../src/core/policy/policy.js";
import { PresignError } from "../../src/core/presign-error.js";
import { parsePolicy } from "../../src/server/access/policy-file.js";
import { accessRequest } from "../support/access-request.js";

const alice: Principal = { subject: "alice", groups: ["staff"], method: "api-key" };
const home: Policy = {
  rules: [{ name: "home", principals: ["*"], operations: ["get", "put"], buckets: ["b"], keys: ["users/${sub}/*"] }],
};
const request = (key: string, extra: Partial<AccessRequest> = {}): AccessRequest => accessRequest(key, extra);

describe("policy matcher", () => {
  it("allows only inside the caller's own prefix, signing the matched (NFC) key", () => {
    assert.deepEqual(authorize(home, alice, request("users/alice/x")), {
      allowed: true,
      rule: "home",
      key: "users/alice/x",
      conditions: {},
    });
    const nfd = authorize({ rules: home.rules }, { ...alice, subject: "zoë" }, request("users/zoe\u0308/x"));
    assert.deepEqual(nfd, { allowed: true, rule: "home", key: "users/zo\u00eb/x", conditions: {} });
    assert.equal(authorize(home, alice, request("users/alicex/y")).allowed, false);
    assert.equal(authorize(home, alice, request("users/alice")).allowed, false);
    assert.equal(authorize(home, alice, request("users/alice//x")).allowed, false);
    assert.equal(authorize(home, alice, request("users/alice/x", { bucket: "c" })).allowed, false);
    assert.equal(authorize(home, alice, request("users/alice/x", { operation: "post" })).allowed, false);
  });

  it("never lets a granted key leave the caller's prefix (property)", () => {
    const segment = fc.string({
      unit: fc.constantFrom("a", "b", ".", "/", "*", "é", "e\u0301", "%", "\u0000"),
      maxLength: 8,
    });
    fc.assert(
      fc.property(segment, segment, fc.boolean(), (sub, rest, prefix) => {
        const principal: Principal = { subject: sub, groups: [], method: "jwt" };
        let key: string;
        try {
          key = `users/${rest}`;
          normalizeKey(key);
        } catch (error) {
          assert.ok(error instanceof PresignError);
          return;
        }
        const decision = authorize(home, principal, request(key, { keyIsPrefix: prefix }));
        if (decision.allowed) {
          assert.ok(
            !/[*/\u0000]/.test(sub) && sub !== "" && sub !== "." && sub !== "..",
            `subject ${JSON.stringify(sub)}`,
          );
          assert.ok(decision.key.startsWith(`users/${sub}/`), `${decision.key} outside users/${sub}/`);
          assert.equal(decision.key, decision.key.normalize("NFC"));
          assert.ok(!decision.key.includes("//"));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("names the nearest rule of a denial (for metrics), and none when no rule came near", () => {
    const sized: Policy = { rules: [{ ...(home.rules[0] as Policy["rules"][number]), maxContentLength: 10n }] };
    const big = authorize(sized, alice, request("users/alice/x", { operation: "put", contentLength: 11n }));
    assert.equal(big.allowed, false);
    assert.equal(!big.allowed && big.rule, "home");
    assert.match(!big.allowed ? big.reason : "", /^rule "home": /);
    const elsewhere = authorize(home, alice, request("users/bob/x"));
    assert.deepEqual(elsewhere, {
      allowed: false,
      reason: 'no rule allows key:alice to get this key in bucket "b"',
    });
  });

  it("exact templates never match a prefix request", () => {
    assert.equal(keyMatches("a/b", "s", { key: "a/b", keyIsPrefix: true }), false);
    assert.equal(keyMatches("a/*", "s", { key: "a/b/", keyIsPrefix: true }), true);
    assert.equal(keyMatches("a/*", "s", { key: "", keyIsPrefix: true }), false);
  });
});

describe("head, delete and list", () => {
  const rule = home.rules[0] as Policy["rules"][number];
  const conditioned: Policy = {
    rules: [
      {
        ...rule,
        operations: ["head", "delete", "list"],
        maxContentLength: 1n,
        contentTypes: ["image/*"],
        requiredMetadata: ["owner"],
      },
    ],
  };

  it("a rule without them denies them", () => {
    for (const operation of ["head", "delete", "list"] as const) {
      const keyIsPrefix = operation === "list";
      const decision = authorize(home, alice, request("users/alice/x/", { operation, keyIsPrefix }));
      assert.equal(decision.allowed, false, operation);
    }
    assert.deepEqual(authorize(home, alice, request("users/alice/", { operation: "list", keyIsPrefix: true })), {
      allowed: false,
      reason: 'no rule allows key:alice to list under this prefix in bucket "b"',
    });
  });

  it("size, type and metadata conditions do not apply to them (nothing is written)", () => {
    for (const operation of ["head", "delete"] as const) {
      assert.equal(authorize(conditioned, alice, request("users/alice/x", { operation })).allowed, true, operation);
    }
    const list = request("users/alice/", { operation: "list", keyIsPrefix: true });
    assert.equal(authorize(conditioned, alice, list).allowed, true);
    // and still do to a put under the same rule
    const put: Policy = { rules: [{ ...(conditioned.rules[0] as Policy["rules"][number]), operations: ["put"] }] };
    assert.equal(
      authorize(put, alice, request("users/alice/x", { operation: "put", contentLength: 5n })).allowed,
      false,
    );
  });

  it("a list prefix is allowed only within a key template; the whole bucket only by *", () => {
    const lists: Policy = { rules: [{ ...rule, operations: ["list"] }] };
    const list = (prefix: string, policy = lists) =>
      authorize(policy, alice, request(prefix, { operation: "list", keyIsPrefix: true, normalizedKey: prefix }))
        .allowed;
    assert.deepEqual(
      ["users/alice/", "users/alice/a", "users/alice/a/b/", "users/alice", "users/", "", "users/bob/"].map((p) =>
        list(p),
      ),
      [true, true, true, false, false, false, false],
    );
    const everything: Policy = { rules: [{ ...rule, operations: ["list"], keys: ["*"] }] };
    assert.equal(list("", everything), true);
    const exact: Policy = { rules: [{ ...rule, operations: ["list"], keys: ["users/alice/x"] }] };
    assert.equal(list("users/alice/x", exact), false);
  });
});

describe("policy file", () => {
  it("reports every problem with file, line and column", () => {
    const text = [
      "principals:",
      "  - name: alice",
      "    api_key_sha256: [nothex]",
      "rules:",
      "  - name: r1",
      "    principals: ['*']",
      "    operations: [get, remove]",
      "    buckets: [b]",
      "    keys: ['a/*/b', '../x']",
      "    max_ttl: soon",
      "    colour: blue",
    ].join("\n");
    assert.throws(
      () => parsePolicy(text, "p.yaml"),
      (error: Error) => {
        const lines = error.message
          .split("\n")
          .slice(1)
          .map((l) => l.trim());
        assert.deepEqual(lines, [
          "p.yaml:3:22: principals[0].api_key_sha256[0]: expected the lower-case hex SHA-256 of the key (sha256sum)",
          "p.yaml:11:5: rules[0].colour: unknown setting; expected one of name, principals, operations, buckets, keys, max_content_length, content_types, max_ttl, cache_window, required_metadata, allow_filename, networks",
          'p.yaml:7:17: rules[0].operations: "remove" is not one of get, put, post, multipart, head, delete, list, confirm, watch',
          'p.yaml:9:12: rules[0].keys[0]: only a trailing "*" is a wildcard',
          'p.yaml:9:21: rules[0].keys[1]: must not contain "." or ".." segments',
          'p.yaml:10:14: rules[0].max_ttl: "soon" is not a duration like 15m, 1h, 90s or 7d',
        ]);
        return true;
      },
    );
  });

  it("reads a rule's cache_window, at most 1h and not longer than its max_ttl", () => {
    const policyOf = (rule: Record<string, unknown>) =>
      parsePolicy(
        JSON.stringify({
          principals: [{ name: "svc", api_key_sha256: ["a".repeat(64)] }],
          rules: [{ name: "r", principals: ["svc"], operations: ["get"], buckets: ["*"], keys: ["*"], ...rule }],
        }),
        "p.json",
      );
    assert.equal(policyOf({ cache_window: "5m" }).rules[0]?.cacheWindowSeconds, 300);
    assert.equal(policyOf({}).rules[0]?.cacheWindowSeconds, undefined);
    assert.throws(() => policyOf({ cache_window: "2h" }), /rules\[0\]\.cache_window: must be at most 1h/);
    assert.throws(() => policyOf({ cache_window: "500ms" }), /rules\[0\]\.cache_window: "500ms" must be at least 1s/);
    assert.throws(
      () => policyOf({ cache_window: "10m", max_ttl: "5m" }),
      /rules\[0\]\.cache_window: must not be longer than max_ttl/,
    );
    const puts = policyOf({ cache_window: "5m", operations: ["put"] });
    assert.match(puts.warnings.join("\n"), /cache_window: applies to get and head only/);
  });

  it("refuses YAML syntax errors and a policy nobody can authenticate against", () => {
    assert.throws(() => parsePolicy("rules: [oops", "p.yaml"), /^ConfigError: invalid policy file\n {2}p\.yaml:1:/);
    assert.throws(() => parsePolicy("rules: []", "p.yaml"), /no way to authenticate/);
  });

  it("reads JSON too", () => {
    const policy = parsePolicy(
      JSON.stringify({
        principals: [{ name: "svc", api_key_sha256: ["a".repeat(64)] }],
        rules: [{ name: "all", principals: ["svc"], operations: ["get"], buckets: ["*"], keys: ["*"], max_ttl: "5m" }],
      }),
      "p.json",
    );
    assert.equal(policy.rules[0]?.maxTtlSeconds, 300);
    assert.equal(policy.principals[0]?.apiKeySha256[0]?.toString("hex"), "a".repeat(64));
  });
});
