import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";

// The README's quick start, curl and library sections, run as written
// against `npm start` (development mode on 127.0.0.1:8080, embedded S3 on
// :4568), so that the README cannot drift from what presignd does.

const ROOT = resolve(import.meta.dirname, "../..");

/** The fenced blocks of one language between two headings. */
function blocks(readme: string, from: string, to: string, lang: string): string[] {
  const section = readme.slice(readme.indexOf(from), readme.indexOf(to));
  return [...section.matchAll(new RegExp(`\`\`\`${lang}\\n([\\s\\S]*?)\`\`\``, "g"))].map((m) => m[1] as string);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const probe = createServer()
      .once("error", () => done(false))
      .listen(port, "127.0.0.1", () => probe.close(() => done(true)));
  });
}

function bash(script: string, cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(
      "bash",
      ["-c", `set -euo pipefail\n${script}`],
      { cwd, maxBuffer: 64 << 20, env: { ...process.env, PRESIGND_SERVER: undefined } },
      (error, stdout, stderr) => done({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("the README runs as written", () => {
  let dir: string;
  let server: ChildProcess;
  let readme: string;
  before(async () => {
    for (const port of [8080, 4568]) {
      assert.ok(await portFree(port), `127.0.0.1:${port} is taken: the README's examples need it for npm start`);
    }
    readme = await readFile(join(ROOT, "README.md"), "utf8");
    // A fresh directory that looks like the checkout (bin, built dist, node_modules, proto, package.json).
    dir = await mkdtemp(join(tmpdir(), "presignd-readme-"));
    for (const name of ["bin", "dist", "node_modules", "proto", "package.json"]) {
      await symlink(join(ROOT, name), join(dir, name));
    }
    server = spawn(process.execPath, [join(ROOT, "bin/presignd"), "serve", "--dev"], { cwd: dir, stdio: "pipe" });
    let out = "";
    server.stdout?.on("data", (chunk: Buffer) => {
      out += chunk;
    });
    const deadline = Date.now() + 20_000;
    while (!out.includes("presignd listening") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(server.exitCode, null, `npm start exited: ${out}`);
    }
    assert.match(out, /presignd listening/);
  });
  after(async () => {
    server?.kill("SIGTERM");
    await new Promise((r) => server?.once("exit", r));
    await rm(dir, { recursive: true, force: true });
  });

  it("the quick start and curl sections: every shell block, top to bottom", async () => {
    const shell = blocks(readme, "## Quick start", "## Library", "sh").filter(
      (b) => !b.includes("npm ci && npm start"),
    );
    assert.ok(shell.length >= 6, `found ${shell.length} blocks`);
    for (const block of shell) {
      const run = await bash(block, dir);
      const where = `block:\n${block}\nstdout:\n${run.stdout.slice(-2000)}\nstderr:\n${run.stderr.slice(-2000)}`;
      assert.equal(run.code, 0, where);
      assert.doesNotMatch(run.stdout, /"code":\s*"/, `an error answer in ${where}`);
      assert.doesNotMatch(run.stderr, /^presignd: /m, where);
    }
    // What the blocks did, checked from outside.
    const hello = await bash("./bin/presignd get greetings/hello.txt", dir);
    assert.equal(hello.stdout, "hello\n");
    assert.equal((await bash("./bin/presignd get uploads/report.csv", dir)).stdout, "region,total\nnorth,42\n");
    assert.equal((await bash("./bin/presignd get notes.txt", dir)).stdout, "notes\n");
    const numbers = await bash("./bin/presignd get backups/numbers.txt | tail -n 1", dir);
    assert.equal(numbers.stdout, "3000000\n");
  });

  it("the library's Node snippet compiles and runs", async () => {
    // The Library section shows browser and Node side by side: the Node one runs here.
    const snippet = blocks(readme, "## Library", "## Configuration", "ts").find((b) =>
      b.includes('"@presignd/client/node"'),
    );
    assert.ok(snippet, "no ts block importing @presignd/client/node in the Library section");
    // The snippet uses a.txt (GetObject), db.tar and a.png: give it those files.
    await writeFile(join(dir, "db.tar"), "tar bytes");
    await writeFile(join(dir, "a.png"), Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    // Inside the checkout, so that "presignd/client" resolves to this package (self-reference).
    await mkdir(join(ROOT, ".presignd"), { recursive: true });
    const file = join(ROOT, ".presignd", `readme-snippet-${process.pid}.mts`);
    await writeFile(file, `process.chdir(${JSON.stringify(dir)});\n${snippet}`);
    try {
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>((done) =>
        execFile(process.execPath, ["--import", "tsx", file], { cwd: ROOT }, (error, stdout, stderr) =>
          done({ code: error ? 1 : 0, stdout, stderr }),
        ),
      );
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stderr, /404 NoSuchKey/, "the snippet's S3Error branch ran");
      assert.equal(await readFile(join(dir, "restore.tar"), "utf8"), "tar bytes");
    } finally {
      await rm(file, { force: true });
    }
  });
});
