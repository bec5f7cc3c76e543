import { createHash } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { tempDir } from "./temp-dir.js";

/** Test API keys, and the SHA-256 digests a policy file stores for them. */
export const KEYS = {
  admin: "admin-key-0123456789abcdef",
  alice: "alice-key-0123456789abcdef",
  bob: "bob-key-0123456789abcdef",
};
export const sha256 = (key: string) => createHash("sha256").update(key).digest("hex");

/** A policy letting the admin key sign anything, for tests about other things. */
export const ALLOW_ALL = `principals:
  - name: admin
    api_key_sha256: ["${sha256(KEYS.admin)}"]
rules:
  - name: everything
    principals: ["key:admin"]
    operations: [get, put, post, multipart, head, delete, list, confirm, watch]
    buckets: ["*"]
    keys: ["*"]
    allow_filename: true
`;

/** Writes a policy document to a fresh temporary file (removed at exit) and returns its path. */
export async function writePolicy(text: string): Promise<string> {
  const dir = tempDir("presignd-policy-");
  const path = join(dir, "policy.yaml");
  await writeFile(path, text);
  return path;
}

/**
 * Two API-key principals, alice and bob, and one rule "home" letting each
 * use `users/<their name>/*` in bucket dev. `rule` adds conditions to that
 * rule (indented lines), `rest` adds top-level sections (e.g. handles).
 */
export function homePolicy(options: { operations?: readonly string[]; rule?: string; rest?: string } = {}): string {
  return `principals:
  - name: alice
    api_key_sha256: ["${sha256(KEYS.alice)}"]
  - name: bob
    api_key_sha256: ["${sha256(KEYS.bob)}"]
rules:
  - name: home
    principals: ["*"]
    operations: [${(options.operations ?? ["get", "put"]).join(", ")}]
    buckets: [dev]
    keys: ["users/\${sub}/*"]
${options.rule ?? ""}${options.rest ?? ""}`;
}
