import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type Scalar, type YAMLMap } from "yaml";
import type { RawServeOptions } from "./config.js";
import { ConfigError } from "./config.js";
import { SERVE_SETTINGS, type ServeSetting, type SettingValue, splitList } from "./settings.js";

/** A value the config file gave, with where it is written. */
export interface FileValue {
  readonly value: SettingValue;
  /** "file:line:col" of the value. */
  readonly at: string;
}

/** A config file (`serve --config`), read but not yet validated: that happens once, on the merged layers. */
export interface ConfigFile {
  readonly path: string;
  readonly values: ReadonlyMap<keyof RawServeOptions, FileValue>;
  /** The file's `policy:` is a mapping: the policy itself, not a file name. */
  readonly policyInline: boolean;
  /** That mapping, for `config print`; the policy loader reads and checks it. */
  readonly inlinePolicy?: YAMLMap;
  /** What is wrong with the file's shape (syntax, unknown keys, wrong types), each as "file:line:col: message". */
  readonly problems: readonly string[];
}

/** A near miss for an unknown key ("adr" → "addr"), if there is one. */
export type SuggestSetting = (key: string) => string | undefined;

/** The settings whose values name files: in a config file, relative to the file's own folder. */
const PATH_SETTINGS = new Set<keyof RawServeOptions>(["policy", "tlsCert", "tlsKey", "tlsClientCa", "devDataDir"]);

export async function readConfigFile(path: string, suggest?: SuggestSetting): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  return parseConfigFile(text, path, suggest);
}

/**
 * Reads a config file: a YAML mapping whose keys are serve's flag names
 * (`addr: 127.0.0.1:8080`, `cors-origin: [https://a.example]`). Every problem
 * is collected, none thrown.
 */
export function parseConfigFile(text: string, path: string, suggest?: SuggestSetting): ConfigFile {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems: string[] = [];
  const values = new Map<keyof RawServeOptions, FileValue>();
  const at = (node: Node | null | undefined) => {
    const pos = node?.range ? lines.linePos(node.range[0]) : { line: 1, col: 1 };
    return `${path}:${pos.line}:${pos.col}`;
  };
  let inlinePolicy: YAMLMap | undefined;
  const result = (): ConfigFile => ({
    path,
    values,
    policyInline: inlinePolicy !== undefined,
    ...(inlinePolicy ? { inlinePolicy } : {}),
    problems,
  });
  for (const error of doc.errors) {
    const pos = lines.linePos(error.pos[0]);
    problems.push(`${path}:${pos.line}:${pos.col}: ${error.message.split("\n")[0]}`);
  }
  if (problems.length > 0) return result();
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return result();
  if (!isMap(root)) {
    problems.push(`${at(root)}: expected a mapping of settings, e.g. "addr: 127.0.0.1:8080"`);
    return result();
  }
  const byName = new Map(SERVE_SETTINGS.map((s) => [s.name, s]));
  for (const pair of root.items) {
    const keyNode = pair.key as Node | null;
    const name = isScalar(keyNode) ? String(keyNode.value) : "";
    const setting = byName.get(name);
    if (!setting) {
      const near = suggest?.(name);
      problems.push(
        `${at(keyNode)}: unknown setting "${name}"${near ? ` (did you mean "${near}"?)` : "; the settings are serve's flag names (presignd serve --help)"}`,
      );
      continue;
    }
    const node = pair.value as Node | null;
    if (setting.key === "policy" && isMap(node)) {
      // Inline: the policy is read from this file's `policy:` by the policy loader, with its own checks.
      inlinePolicy = node;
      values.set("policy", { value: path, at: at(node) });
      continue;
    }
    const read = fileValue(setting, node);
    if ("problem" in read) {
      problems.push(`${at(node ?? keyNode)}: ${name}: ${read.problem}`);
      continue;
    }
    const value =
      PATH_SETTINGS.has(setting.key) && typeof read.value === "string"
        ? resolve(dirname(path), read.value)
        : read.value;
    values.set(setting.key, { value, at: at(node) });
  }
  return result();
}

/**
 * A setting's value as the file writes it: a string (numbers as written),
 * true/false for switches, a list (or one string) for repeatable settings.
 */
function fileValue(setting: ServeSetting, node: Node | null): { value: SettingValue } | { problem: string } {
  const scalar = isScalar(node) ? node : undefined;
  if (!setting.arg) {
    return typeof scalar?.value === "boolean" ? { value: scalar.value } : { problem: "expected true or false" };
  }
  const problem = `expected ${setting.arg.replace(/^<(.*)>$/, "$1")}${setting.list ? " or a list of them" : ""}`;
  if (setting.list && isSeq(node)) {
    const items: string[] = [];
    for (const item of node.items) {
      const text = isScalar(item) ? scalarText(item) : undefined;
      if (text === undefined) return { problem };
      items.push(...splitList(text));
    }
    return { value: items };
  }
  const text = scalar ? scalarText(scalar) : undefined;
  if (text === undefined || text === "") return { problem };
  return { value: setting.list ? splitList(text) : text };
}

/** Strings as they are; numbers as written (`max-connections: 500`, `drain-delay: 5`), not as YAML reads them. */
function scalarText(scalar: Scalar): string | undefined {
  if (typeof scalar.value === "string") return scalar.value;
  if (typeof scalar.value === "number" || typeof scalar.value === "bigint")
    return scalar.source ?? String(scalar.value);
  return undefined;
}
