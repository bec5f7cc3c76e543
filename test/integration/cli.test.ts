import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PRESIGND, ROOT, run } from "../support/run.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// Runs the built CLI (bin/presignd → dist/), as a user would.
describe("presignd CLI against a running server", () => {
  let server: TestServer;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "presignd-cli-"));
    env = { PRESIGND_SERVER: server.url };
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("put -f FILE, then get -f FILE", async () => {
    const data = randomBytes(200_000);
    const src = join(dir, "in.bin");
    const dst = join(dir, "out.bin");
    await writeFile(src, data);
    const put = await run(PRESIGND, ["put", "cli/file.bin", "-f", src, "-t", "application/octet-stream"], { env });
    assert.equal(put.code, 0, put.stderr);
    assert.match(put.stderr, /uploaded cli\/file\.bin: 200000 bytes \(HTTP 200\)/);
    const get = await run(PRESIGND, ["get", "cli/file.bin", "-f", dst, "-s", server.url]);
    assert.equal(get.code, 0, get.stderr);
    assert.ok((await readFile(dst)).equals(data));
  });

  it("put from stdin, get to stdout", async () => {
    const put = await run(PRESIGND, ["put", "cli/stdin.txt", "-q"], { env, input: "piped in\n" });
    assert.equal(put.code, 0, put.stderr);
    const get = await run(PRESIGND, ["get", "cli/stdin.txt"], { env });
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout.toString(), "piped in\n");
  });

  it("puts empty objects: -f an empty file, empty stdin, and --resume of an empty file", async () => {
    const src = join(dir, "empty.bin");
    await writeFile(src, "");
    const cases: [string, string[], string][] = [
      ["cli/empty-file", ["-f", src], ""],
      ["cli/empty-stdin", [], ""],
      ["cli/empty-resume", ["-f", src, "--resume"], ""],
    ];
    for (const [key, args, input] of cases) {
      const put = await run(PRESIGND, ["put", key, ...args], { env, input });
      assert.equal(put.code, 0, `${args.join(" ")}: ${put.stderr}`);
      assert.match(put.stderr, new RegExp(`^uploaded ${key}: 0 bytes \\(HTTP 200\\)`));
      const get = await run(PRESIGND, ["get", key], { env });
      assert.equal(get.code, 0, get.stderr);
      assert.equal(get.stdout.length, 0);
    }
    const dst = join(dir, "empty-copy.bin");
    const get = await run(PRESIGND, ["get", "cli/empty-file", "-f", dst], { env });
    assert.equal(get.code, 0, get.stderr);
    assert.equal((await readFile(dst)).length, 0);
  });

  it("post KEY -f FILE with ${filename}", async () => {
    const src = join(dir, "report.csv");
    await writeFile(src, "a,b\n1,2\n");
    const post = await run(PRESIGND, ["post", "cli/uploads/${filename}", "-f", src, "-t", "text/csv"], { env });
    assert.equal(post.code, 0, post.stderr);
    assert.match(post.stderr, /^uploaded cli\/uploads\/report\.csv: 8 bytes \(HTTP 204\)/);
    const get = await run(PRESIGND, ["get", "cli/uploads/report.csv"], { env });
    assert.equal(get.stdout.toString(), "a,b\n1,2\n");
  });

  it("presign get|put prints the JSON", async () => {
    const get = await run(PRESIGND, ["presign", "get", "cli/x", "--ttl", "120"], { env });
    assert.equal(get.code, 0, get.stderr);
    const g = JSON.parse(get.stdout.toString()) as { url: string; method: string; expiresAt: string };
    assert.equal(g.method, "GET");
    assert.equal(new URL(g.url).searchParams.get("X-Amz-Expires"), "120");
    const put = await run(PRESIGND, ["presign", "put", "cli/x", "-l", "10", "-t", "text/plain", "-m", "owner=bob"], {
      env,
    });
    const p = JSON.parse(put.stdout.toString()) as { headers: Record<string, string> };
    assert.deepEqual(p.headers, { "content-length": "10", "content-type": "text/plain", "x-amz-meta-owner": "bob" });
  });

  it("fails with one line and a non-zero exit", async () => {
    const cases: [string[], RegExp][] = [
      [["get", "cli/missing"], /^presignd: S3 404 NoSuchKey: .+\n$/],
      [["presign", "put", "cli/x"], /^presignd: presign put needs -l\/--content-length <bytes>\n$/],
      [["presign", "delete", "cli/x"], /^presignd: method must be get or put, got "delete"\n$/],
      [["presign", "get", ""], /^presignd: presignd refused: \[invalid_argument\] key: must not be empty\n$/],
      [["put", "cli/x", "-f", join(dir, "nope")], /^presignd: no such file: .*nope\n$/],
      [["get", "x", "-s", "http://127.0.0.1:1"], /^presignd: cannot reach presignd: .*ECONNREFUSED.*\n$/],
    ];
    for (const [args, message] of cases) {
      const res = await run(PRESIGND, args, { env });
      assert.equal(res.code, 1, `${args.join(" ")}: ${res.stderr}`);
      assert.match(res.stderr, message, args.join(" "));
    }
  });

  it("draws a progress bar on a terminal", async () => {
    const src = join(dir, "tty.bin");
    await writeFile(src, randomBytes(100_000));
    // script(1) gives the CLI a pseudo-terminal, as an interactive shell would.
    const res = await run("script", ["-qfec", `${PRESIGND} put cli/tty.bin -f ${src}`, "/dev/null"], { env });
    assert.equal(res.code, 0, res.stdout.toString());
    assert.match(res.stdout.toString(), /put cli\/tty\.bin \[[^\]]+\] 100% \| 97\.7 KiB\/97\.7 KiB/);
  });

  it("sends --api-key / PRESIGND_API_KEY to a server with a policy", async () => {
    const { ALLOW_ALL, KEYS, writePolicy } = await import("../support/policy.js");
    const guarded = await startTestServer({ policy: await writePolicy(ALLOW_ALL) });
    try {
      const denied = await run(PRESIGND, ["presign", "get", "k", "-s", guarded.url]);
      assert.equal(denied.code, 1);
      assert.match(denied.stderr, /^presignd: presignd refused: \[unauthenticated\] missing credentials/);
      const flag = await run(PRESIGND, ["presign", "get", "k", "-s", guarded.url, "--api-key", KEYS.admin]);
      assert.equal(flag.code, 0, flag.stderr);
      const env = await run(PRESIGND, ["presign", "get", "k", "-s", guarded.url], {
        env: { PRESIGND_API_KEY: KEYS.admin },
      });
      assert.equal(env.code, 0, env.stderr);
    } finally {
      await guarded.close();
    }
  });

  it("--version prints the package's own version, whatever npm_package_version says", async () => {
    const { version } = JSON.parse(await readFile(join(ROOT, "package.json"), "utf8")) as { version: string };
    const res = await run(PRESIGND, ["--version"], { env: { npm_package_version: "9.9.9" } });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout.toString(), `${version}\n`);
  });

  it("--help everywhere", async () => {
    for (const args of [
      ["--help"],
      ["serve", "--help"],
      ["get", "--help"],
      ["put", "--help"],
      ["post", "--help"],
      ["presign", "--help"],
    ]) {
      const res = await run(PRESIGND, args);
      assert.equal(res.code, 0, args.join(" "));
      assert.match(res.stdout.toString(), /^Usage: presignd/);
    }
  });

  it("serve refuses bad settings with a message naming the setting", async () => {
    const res = await run(PRESIGND, ["serve", "-b", "some-bucket", "--default-ttl", "soon"]);
    assert.equal(res.code, 1);
    assert.equal(
      res.stderr,
      'presignd: --default-ttl (PRESIGND_DEFAULT_TTL): "soon" is not a duration like 15m, 1h, 90s or 7d\n',
    );
    const none = await run(PRESIGND, ["serve"], { env: { PRESIGND_BUCKET: "" } });
    assert.match(none.stderr, /no bucket: pass -b\/--bucket NAME/);
  });

  it("flags win over PRESIGND_* variables, which win over defaults", async () => {
    const flag = await run(PRESIGND, ["serve", "-b", "b12", "--max-ttl", "nope"], {
      env: { PRESIGND_MAX_TTL: "never" },
    });
    assert.match(flag.stderr, /--max-ttl \(PRESIGND_MAX_TTL\): "nope"/);
    const env = await run(PRESIGND, ["serve", "-b", "b12"], { env: { PRESIGND_MAX_TTL: "never" } });
    assert.match(env.stderr, /--max-ttl \(PRESIGND_MAX_TTL\): "never"/);
    const bool = await run(PRESIGND, ["serve", "-b", "b12"], { env: { PRESIGND_PATH_STYLE: "maybe" } });
    assert.equal(bool.stderr, 'presignd: PRESIGND_PATH_STYLE: "maybe" is not a boolean (use true or false)\n');
  });
});
