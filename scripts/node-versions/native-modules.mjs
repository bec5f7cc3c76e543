// Loaded with --import (NODE_OPTIONS, so child processes get it too) by
// scripts/test-node-versions.sh: resolves `better-sqlite3` to the copy built
// for the running Node (PRESIGND_NATIVE_MODULES), not the shared install's
// build for the CI's own Node. module.registerHooks: Node ≥ 22.15.
import { registerHooks } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dir = process.env.PRESIGND_NATIVE_MODULES;
if (!dir) throw new Error("PRESIGND_NATIVE_MODULES: the directory of the per-Node native module builds is not set");
const NATIVE = { "better-sqlite3": pathToFileURL(join(dir, "better-sqlite3", "lib", "index.js")).href };

registerHooks({
  resolve(specifier, context, nextResolve) {
    const url = NATIVE[specifier];
    return nextResolve(url ?? specifier, context);
  },
});
