import { Document, isMap, isScalar, isSeq, type Node, Pair, Scalar } from "yaml";
import { describeHandleStore, parseHandleStore } from "../handles/handle-store-setting.js";
import type { ConfigFile } from "./config-file.js";
import type { ResolvedSetting } from "./layers.js";
import type { SettingValue } from "./settings.js";
import type { BucketStore } from "./store-settings.js";

/** How a redacted secret is shown. */
export const REDACTED = "REDACTED";

/**
 * Policy fields that are secrets, or stand in for them: sealing keys, and the
 * API keys' digests (a weak key falls to a dictionary over its SHA-256).
 */
const SECRET_POLICY_FIELDS = new Set(["secret_base64", "api_key_sha256"]);

/**
 * The effective settings as a config file (YAML) would write them, each with
 * its source as a comment (`# flag`, `# env PRESIGND_ADDR`, `# file
 * presignd.yaml:3:7`, `# default`); unset settings as comments. Secrets are
 * redacted: a handle store URL's password, the webhook and notification secrets, and in an inline policy the
 * sealing keys and API key digests. With `stores` (the settings are valid),
 * a closing comment names each bucket's store profile and how it was chosen.
 */
export function printSettings(
  resolved: readonly ResolvedSetting[],
  file?: ConfigFile,
  stores?: ReadonlyMap<string, BucketStore>,
): string {
  const doc = new Document({});
  doc.commentBefore = " presignd serve: effective settings (flags > env > file > defaults)";
  const map = doc.contents as unknown as { items: Pair[]; comment?: string | null };
  let pending: string[] = [];
  for (const { setting, value, source, at } of resolved) {
    if (value === undefined) {
      pending.push(` ${setting.name}: unset${setting.unsetMeans ? ` (${setting.unsetMeans})` : ""}`);
      continue;
    }
    const origin = source === "env" ? `env ${setting.env}` : source === "file" ? `file ${at}` : source;
    const inline = setting.key === "policy" && source === "file" && file?.policyInline && file.inlinePolicy;
    const node = inline
      ? redactPolicy(doc.createNode(file.inlinePolicy.toJSON()) as Node)
      : doc.createNode(
          setting.secret === "value" ? REDACTED : setting.secret === "url-password" ? redactPassword(value) : value,
        );
    const key = doc.createNode(setting.name);
    if (isScalar(node)) node.comment = ` ${origin}`;
    else pending.push(` ${origin}`);
    if (pending.length > 0) key.commentBefore = pending.join("\n");
    pending = [];
    map.items.push(new Pair(key, node));
  }
  if (stores) pending.push(` stores: ${[...stores].map(([bucket, s]) => `${bucket} ${storeLabel(s)}`).join(", ")}`);
  if (pending.length > 0) map.comment = pending.join("\n");
  return doc.toString();
}

/** "r2 (detected from --endpoint's host)", as the start-up log says it. */
export function storeLabel(store: BucketStore): string {
  const from = {
    provider: "--provider",
    "bucket-provider": "--bucket-provider",
    detected: "detected from --endpoint's host",
    default: "default",
  }[store.source];
  return `${store.profile.provider} (${from})`;
}

/** A handle store URL without its password (a setting that does not parse is not shown at all). */
function redactPassword(value: SettingValue): SettingValue {
  if (typeof value !== "string") return REDACTED;
  try {
    const setting = parseHandleStore(value);
    return setting ? describeHandleStore(setting) : value;
  } catch {
    return REDACTED;
  }
}

function redactPolicy(node: Node): Node {
  if (isMap(node)) {
    for (const pair of node.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : "";
      if (SECRET_POLICY_FIELDS.has(name)) {
        const value = pair.value;
        if (isSeq(value)) value.items = value.items.map(() => new Scalar(REDACTED));
        else pair.value = new Scalar(REDACTED);
      } else if (pair.value) redactPolicy(pair.value as Node);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) redactPolicy(item as Node);
  }
  return node;
}
