import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { collector } from "../support/collect.js";
import { PRESIGND, run } from "../support/run.js";
import { serverForSuite } from "../support/test-server.js";

// Keys no shell may rewrite: quotes, expansions, separators, globs, and Unicode
// (NFC and NFD spellings are different objects).
const KEYS = [
  'say "hi"',
  "it's",
  "$HOME $(echo no) `echo no` ${PATH}",
  "a;b&c|d>e<f",
  "  spaced  out  ",
  "back\\slash\\",
  "glob*?[ab]{c,d}~!#%25+=",
  "caf\u00e9",
  "cafe\u0301",
  "emoji/😀🎉",
  "日本語/ファイル 名.txt",
];
// File names as hostile as the keys (curl's own -F syntax quotes them too).
const FILE_NAMES = ["we\"ird $name;x,y's \\ file.bin", "plain.bin"];

describe("presign --format curl: printed commands survive a paste into bash", () => {
  const suite = serverForSuite({ logLevel: "warn" });
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "presignd-curl-"));
    env = { PRESIGND_SERVER: suite.server.url };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Prints the command for `args`, checks it is one line, runs it with bash -c. */
  async function printAndRun(args: string[], shellEnv: NodeJS.ProcessEnv = {}) {
    const printed = await run(PRESIGND, ["presign", ...args, "--format", "curl"], { env });
    assert.equal(printed.code, 0, printed.stderr);
    const command = printed.stdout.toString();
    assert.match(command, /^curl [^\n]+\n$/, "one line");
    const ran = await run("bash", ["-c", command], { env: shellEnv });
    return { command, ...ran };
  }

  async function stored(key: string): Promise<Buffer> {
    const out = collector();
    await suite.client.download(key, out.writable);
    return out.bytes();
  }

  async function sourceFile(name: string, bytes: Buffer): Promise<string> {
    const sub = join(dir, randomBytes(4).toString("hex"));
    await mkdir(sub);
    const path = join(sub, name);
    await writeFile(path, bytes);
    return path;
  }

  it("put -f FILE: the signed length and the file's bytes", async () => {
    for (const [i, key] of KEYS.entries()) {
      const data = randomBytes(1000 + i);
      const path = await sourceFile(FILE_NAMES[i % FILE_NAMES.length] ?? "f", data);
      const res = await printAndRun(["put", `curl/put/${key}`, "-f", path]);
      assert.equal(res.code, 0, `${key}: ${res.stderr}\n${res.command}`);
      assert.ok((await stored(`curl/put/${key}`)).equals(data), key);
    }
  });

  it("put -l N without -f: the command reads $FILE, and refuses to run without it", async () => {
    for (const key of KEYS) {
      const data = randomBytes(777);
      const path = await sourceFile("a file; with $pace's.bin", data);
      const unset = await printAndRun(["put", `curl/put-l/${key}`, "-l", "777"]);
      assert.notEqual(unset.code, 0);
      assert.match(unset.stderr, /FILE: set FILE to the file to upload/);
      const res = await printAndRun(["put", `curl/put-l/${key}`, "-l", "777"], { FILE: path });
      assert.equal(res.code, 0, `${key}: ${res.stderr}\n${res.command}`);
      assert.ok((await stored(`curl/put-l/${key}`)).equals(data), key);
    }
  });

  it("put -f - -l N: the command reads its own stdin", async () => {
    const printed = await run(
      PRESIGND,
      ["presign", "put", "curl/stdin/it's", "-f", "-", "-l", "6", "--format", "curl"],
      {
        env,
      },
    );
    assert.equal(printed.code, 0, printed.stderr);
    const res = await run("bash", ["-c", printed.stdout.toString()], { input: "stdin\n" });
    assert.equal(res.code, 0, res.stderr);
    assert.equal((await stored("curl/stdin/it's")).toString(), "stdin\n");
  });

  it("put with a signed Content-Type and metadata sends exactly those headers", async () => {
    const path = await sourceFile("m.txt", Buffer.from("metadata\n"));
    const note = 'it\'s $5; "ok" & `done`';
    const res = await printAndRun([
      "put",
      "curl/meta/it's",
      "-f",
      path,
      "-t",
      "text/plain; charset=utf-8",
      "-m",
      `note=${note}`,
    ]);
    assert.equal(res.code, 0, `${res.stderr}\n${res.command}`);
    const get = await suite.client.service.getObject({ key: "curl/meta/it's" });
    const answer = await fetch(get.url);
    assert.equal(answer.headers.get("content-type"), "text/plain; charset=utf-8");
    assert.equal(answer.headers.get("x-amz-meta-note"), note);
    assert.equal(await answer.text(), "metadata\n");
  });

  it("get: to stdout, or -f FILE", async () => {
    for (const [i, key] of KEYS.entries()) {
      const data = randomBytes(500 + i);
      await suite.client.upload(`curl/get/${key}`, data);
      const toStdout = await printAndRun(["get", `curl/get/${key}`]);
      assert.equal(toStdout.code, 0, `${key}: ${toStdout.stderr}\n${toStdout.command}`);
      assert.ok(toStdout.stdout.equals(data), key);
      const path = join(dir, `out-${i}-${FILE_NAMES[i % FILE_NAMES.length]}`);
      const toFile = await printAndRun(["get", `curl/get/${key}`, "-f", path]);
      assert.equal(toFile.code, 0, `${key}: ${toFile.stderr}\n${toFile.command}`);
      assert.equal(toFile.stdout.length, 0);
      assert.ok((await readFile(path)).equals(data), key);
    }
  });

  it("get --range sends the signed Range; a failed GET prints nothing to stdout", async () => {
    await suite.client.upload("curl/range/a'b", Buffer.from("0123456789"));
    const ranged = await printAndRun(["get", "curl/range/a'b", "--range", "3-6"]);
    assert.equal(ranged.code, 0, ranged.stderr);
    assert.equal(ranged.stdout.toString(), "3456");
    const missing = await printAndRun(["get", "curl/range/missing $x"]);
    assert.equal(missing.code, 22, "curl --fail");
    assert.equal(missing.stdout.length, 0);
  });

  it("post -f FILE: every field, the file last; ${filename} becomes the file's name", async () => {
    for (const [i, key] of KEYS.entries()) {
      const data = randomBytes(300 + i);
      const name = FILE_NAMES[i % FILE_NAMES.length] ?? "f";
      const path = await sourceFile(name, data);
      const exact = await printAndRun(["post", `curl/post/${key}`, "-f", path, "-t", "application/x-test"]);
      assert.equal(exact.code, 0, `${key}: ${exact.stderr}\n${exact.command}`);
      assert.ok((await stored(`curl/post/${key}`)).equals(data), key);
      const templated = await printAndRun(["post", `curl/post-name/${key}/\${filename}`, "-f", path]);
      assert.equal(templated.code, 0, `${key}: ${templated.stderr}\n${templated.command}`);
      assert.ok((await stored(`curl/post-name/${key}/${name}`)).equals(data), `${key}/${name}`);
    }
  });

  it("post -l N without -f: $FILE is uploaded, ${filename} stays literal for S3 to fill in", async () => {
    for (const key of KEYS) {
      const data = randomBytes(200);
      const path = await sourceFile("form file; one.bin", data);
      const res = await printAndRun(["post", `curl/post-l/${key}/\${filename}`, "-l", "1000"], { FILE: path });
      assert.equal(res.code, 0, `${key}: ${res.stderr}\n${res.command}`);
      assert.ok(res.command.includes("/${filename}'"), "the literal ${filename} is single-quoted");
      // The embedded S3 (s3rver) does not substitute ${filename}, so the
      // object keeps the literal key; AWS S3 and RGW name it "form file; one.bin".
      assert.ok((await stored(`curl/post-l/${key}/\${filename}`)).equals(data), key);
    }
  });
});
