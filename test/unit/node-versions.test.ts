import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { ROOT } from "../support/run.js";

// package.json's engines, the Node versions CI tests (scripts/test-node-versions.sh
// beside the installed Node) and the README say the same thing.
const engines: string = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).engines.node;
const script = readFileSync(join(ROOT, "scripts", "test-node-versions.sh"), "utf8");
const tested = (script.match(/^NODE_VERSIONS=\(([^)]*)\)$/m)?.[1] ?? "").split(/\s+/).filter(Boolean);
const majors = (versions: readonly string[]) => versions.map((v) => Number(v.replace(/^\^/, "").split(".")[0]));

describe("supported Node versions", () => {
  it("engines names the installed major and every major the script tests, nothing else", () => {
    const ranges = engines.split("||").map((r) => r.trim());
    assert.ok(
      ranges.every((r) => /^\^\d+(\.\d+)?$/.test(r)),
      engines,
    );
    const installed = Number(process.versions.node.split(".")[0]);
    assert.deepEqual(
      majors(ranges),
      [...new Set([20, ...majors(tested)])].sort((a, b) => a - b),
    );
    // This file runs under every tested Node too.
    assert.ok(majors(ranges).includes(installed), `Node ${process.version} is not in ${engines}`);
    assert.deepEqual(majors(tested), [22, 24]);
  });

  it("the README's quick start quotes engines", () => {
    assert.ok(readFileSync(join(ROOT, "README.md"), "utf8").includes(`\`engines\`: \`${engines}\``));
  });
});
