// The README's Architecture map of src/server/ names every file there, and
// only files that exist, each in the folder the map puts it in.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { it } from "node:test";

const ROOT = new URL("../../", import.meta.url).pathname;

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith(".ts") ? [relative(ROOT, path)] : [];
  });
}

/** The map's src/server/ block: file names per folder, folders from each line's indentation. */
function mappedFiles(): string[] {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const architecture = readme.slice(readme.indexOf("## Architecture"));
  const lines = architecture
    .slice(architecture.indexOf("src/server/"), architecture.indexOf("\nsrc/client/"))
    .split("\n");
  const found: string[] = [];
  const folders: string[] = ["src/server"];
  let current = "src/server";
  for (const line of lines.slice(1)) {
    const entry = /^( +)(\S+)/.exec(line);
    if (!entry) continue;
    const depth = (entry[1] as string).length;
    const name = entry[2] as string;
    // A name in the map's left column (2 spaces per level) starts an entry; deeper text continues the last one.
    if (depth <= 4 && depth % 2 === 0) {
      folders.length = depth / 2;
      const parent = folders.join("/");
      if (name.endsWith("/")) {
        current = `${parent}/${name.slice(0, -1)}`;
        folders.push(name.slice(0, -1));
      } else {
        current = name.includes("/") ? `${parent}/${name.slice(0, name.lastIndexOf("/"))}` : parent;
      }
    }
    for (const m of line.matchAll(/(?:^|[\s(,])([\w/-]+\.ts)\b/g)) {
      const file = m[1] as string;
      found.push(file.includes("/") ? `${folders[0]}/${file}` : `${current}/${file}`);
    }
  }
  return found;
}

it("the README's map of src/server/ matches the tree", () => {
  const tree = new Set(files(join(ROOT, "src/server")));
  const mapped = new Set(mappedFiles());
  assert.deepEqual(
    [...mapped].filter((f) => !tree.has(f)),
    [],
    "the map names files that are not there (or puts them in the wrong folder)",
  );
  assert.deepEqual(
    [...tree].filter((f) => !mapped.has(f)),
    [],
    "files the README's Architecture map does not name",
  );
});
