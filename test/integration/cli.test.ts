import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { closeSync, openSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { PRESIGND, ROOT, run, start } from "../support/run.js";
import { type StallProxy, startStallProxy } from "../support/stall-proxy.js";
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

  it("put --confirm: presignd verifies the upload (file and stdin), reported on stderr and in --json", async () => {
    const src = join(dir, "confirm.txt");
    await writeFile(src, "to be confirmed\n");
    const put = await run(
      PRESIGND,
      ["put", "cli/confirm.txt", "-f", src, "-t", "text/plain", "-m", "owner=cli", "--confirm"],
      {
        env,
      },
    );
    assert.equal(put.code, 0, put.stderr);
    assert.match(
      put.stderr,
      /\nconfirmed by presignd \(against what it signed\): content_length, content_type, metadata\.owner\n$/,
    );
    const json = await run(PRESIGND, ["put", "cli/confirm.txt", "-f", src, "--confirm", "--json"], { env });
    assert.equal(json.code, 0, json.stderr);
    const report = JSON.parse(json.stdout.toString()) as { confirmed: { against: string; verified: string[] } };
    assert.equal(report.confirmed.against, "signed");
    assert.ok(report.confirmed.verified.includes("content_length"));
    // A stream has no length known in advance: the expectation is the bytes sent, checked by presignd.
    const piped = await run(PRESIGND, ["put", "cli/confirm-stdin.txt", "--confirm", "-q"], { env, input: "abc" });
    assert.equal(piped.code, 0, piped.stderr);
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
      [["presign", "put", "cli/x"], /^presignd: presign put needs -l\/--content-length <bytes> or -f\/--file FILE\n$/],
      [
        ["presign", "remove", "cli/x"],
        /^error: command-argument value 'remove' is invalid for argument 'method'\. Allowed choices are get, put, post, head, delete, list\./,
      ],
      [["presign", "put", "cli/x", "-l", "3", "--range", "0-1"], /^presignd: --range does not apply to presign put\n$/],
      [["presign", "get", "cli/x", "-m", "a=b"], /^presignd: --metadata does not apply to presign get\n$/],
      [["presign", "post", "cli/x"], /^presignd: presign post needs -f\/--file FILE or -l\/--content-length/],
      [
        ["presign", "get", "cli/x", "--ttl", "soon"],
        /'soon' is invalid\. "soon" is not a duration like 15m, 1h, 90s or 7d/,
      ],
      [["presign", "get", ""], /^presignd: presignd refused: \[invalid_argument\] key: must not be empty\n$/],
      // The client package names the argument at fault: the source.
      [["put", "cli/x", "-f", join(dir, "nope")], /^presignd: source: cannot read .*nope: no such file\n$/],
      [["get", "x", "-s", "http://127.0.0.1:1"], /^presignd: cannot reach presignd: .*ECONNREFUSED.*\n$/],
    ];
    for (const [args, message] of cases) {
      const res = await run(PRESIGND, args, { env });
      assert.equal(res.code, 1, `${args.join(" ")}: ${res.stderr}`);
      assert.match(res.stderr, message, args.join(" "));
    }
  });

  it("get to stdout leaves stdout open for the next command of a script (stdout a socket)", async () => {
    await run(PRESIGND, ["put", "cli/twice.txt", "-q"], { env, input: "once\n" });
    // Node's child stdout is a socketpair: ending it there shut it down for the shell too (EPIPE).
    const script = await run(
      "bash",
      ["-c", `"$0" get cli/twice.txt -q && "$0" get cli/twice.txt -q && echo done`, PRESIGND],
      {
        env,
      },
    );
    assert.equal(script.code, 0, script.stderr);
    assert.equal(script.stdout.toString(), "once\nonce\ndone\n");
  });

  it("--ttl takes durations; a capped one warns with the effective expiry", async () => {
    const get = await run(PRESIGND, ["presign", "get", "cli/x", "--ttl", "15m", "--format", "url"], { env });
    assert.equal(get.code, 0, get.stderr);
    assert.equal(new URL(get.stdout.toString().trim()).searchParams.get("X-Amz-Expires"), "900");
    assert.equal(get.stderr, "");
    const capped = await startTestServer({ maxTtl: "1h", defaultTtl: "5m" });
    try {
      for (const args of [
        ["presign", "get", "cli/x", "--ttl", "1d2h"],
        ["presign", "put", "cli/x", "-l", "5", "--ttl", "1d2h"],
        ["presign", "post", "cli/${filename}", "-l", "5", "--ttl", "1d2h"],
      ]) {
        const res = await run(PRESIGND, [...args, "-s", capped.url]);
        assert.equal(res.code, 0, res.stderr);
        const { expiresAt } = JSON.parse(res.stdout.toString()) as { expiresAt: string };
        assert.equal(
          res.stderr,
          `presignd: warning: --ttl 1d2h is longer than the server grants; this request expires in 1h, at ${new Date(expiresAt).toISOString()}\n`,
          args.join(" "),
        );
      }
      const within = await run(PRESIGND, ["presign", "get", "cli/x", "--ttl", "1h", "-s", capped.url]);
      assert.equal(within.stderr, "");
    } finally {
      await capped.close();
    }
  });

  it("get --version-id, --range and response overrides", async () => {
    const put = await run(PRESIGND, ["put", "cli/abc.txt", "-q"], { env, input: "abcdefghij" });
    assert.equal(put.code, 0, put.stderr);
    const ranged = await run(PRESIGND, ["get", "cli/abc.txt", "--range", "2-5"], { env });
    assert.equal(ranged.code, 0, ranged.stderr);
    assert.equal(ranged.stdout.toString(), "cdef");
    const tail = await run(PRESIGND, ["get", "cli/abc.txt", "--range=bytes=7-", "-f", join(dir, "tail.txt")], { env });
    assert.equal(tail.code, 0, tail.stderr);
    assert.equal(await readFile(join(dir, "tail.txt"), "utf8"), "hij");
    const disposition = 'attachment; filename="a b.txt"';
    const presigned = await run(
      PRESIGND,
      [
        ["presign", "get", "cli/abc.txt", "--version-id", "v1", "--range", "0-1", "-t", "text/x-abc"],
        ["--content-disposition", disposition, "--cache-control", "no-cache", "--content-language", "en-GB"],
      ].flat(),
      { env },
    );
    assert.equal(presigned.code, 0, presigned.stderr);
    const p = JSON.parse(presigned.stdout.toString()) as { url: string; headers: Record<string, string> };
    const query = new URL(p.url).searchParams;
    assert.equal(query.get("versionId"), "v1");
    assert.equal(query.get("response-content-type"), "text/x-abc");
    assert.equal(query.get("response-content-disposition"), disposition);
    assert.equal(query.get("response-cache-control"), "no-cache");
    assert.equal(query.get("response-content-language"), "en-GB");
    assert.deepEqual(p.headers, { range: "bytes=0-1" });
    // S3 answers with the overridden headers.
    const url = await run(
      PRESIGND,
      ["presign", "get", "cli/abc.txt", "--content-disposition", disposition, "--format", "url"],
      {
        env,
      },
    );
    const res = await fetch(url.stdout.toString().trim());
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-disposition"), disposition);
    assert.equal(await res.text(), "abcdefghij");
    // --download-filename: the server writes the Content-Disposition (RFC 6266), the embedded S3 answers with it.
    const named = await run(
      PRESIGND,
      ["presign", "get", "cli/abc.txt", "--download-filename", "Résumé.txt", "--format", "url"],
      { env },
    );
    assert.equal(named.code, 0, named.stderr.toString());
    const download = await fetch(named.stdout.toString().trim());
    assert.equal(download.status, 200);
    assert.equal(
      download.headers.get("content-disposition"),
      "attachment; filename=\"R_sum_.txt\"; filename*=UTF-8''R%C3%A9sum%C3%A9.txt",
    );
    await download.arrayBuffer();
    const both = await run(
      PRESIGND,
      ["presign", "get", "cli/abc.txt", "--download-filename", "a.txt", "--content-disposition", "inline"],
      { env },
    );
    assert.equal(both.code, 1);
    assert.match(
      both.stderr.toString(),
      /\[invalid_argument\] overrides: only one of content_disposition, download_filename/,
    );
  });

  it("put and get --json print one result object; - is stdin and stdout", async () => {
    const data = randomBytes(150_000);
    const src = join(dir, "json.bin");
    await writeFile(src, data);
    const put = await run(PRESIGND, ["put", "cli/json.bin", "-f", src, "--json"], { env });
    assert.equal(put.code, 0, put.stderr);
    assert.equal(put.stderr, "");
    const p = JSON.parse(put.stdout.toString()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(p), ["key", "bytes", "etag", "parts", "status", "seconds"]);
    assert.equal(p.key, "cli/json.bin");
    assert.equal(p.bytes, 150_000);
    assert.match(String(p.etag), /^"[0-9a-f]{32}"$/);
    assert.equal(p.parts, 1);
    assert.ok(typeof p.seconds === "number" && p.seconds >= 0 && p.seconds < 60);
    const multipart = await run(
      PRESIGND,
      ["put", "cli/json-mp.bin", "-f", "-", "--json", "--multipart-threshold", "5MiB", "--part-size", "5MiB"],
      { env, input: Buffer.concat([data, randomBytes(6 * 1024 * 1024)]) },
    );
    assert.equal(multipart.code, 0, multipart.stderr);
    assert.equal((JSON.parse(multipart.stdout.toString()) as { parts: number }).parts, 2);
    const get = await run(
      PRESIGND,
      ["get", "cli/json.bin", "-f", join(dir, "json.out"), "--json", "--chunk-size", "64KiB"],
      {
        env,
      },
    );
    assert.equal(get.code, 0, get.stderr);
    const g = JSON.parse(get.stdout.toString()) as Record<string, unknown>;
    assert.deepEqual(
      { key: g.key, bytes: g.bytes, etag: g.etag, parts: g.parts },
      { key: "cli/json.bin", bytes: 150_000, etag: p.etag, parts: 3 },
    );
    assert.ok((await readFile(join(dir, "json.out"))).equals(data));
    const stdout = await run(PRESIGND, ["get", "cli/json.bin", "-f", "-", "-q"], { env });
    assert.equal(stdout.code, 0, stdout.stderr);
    assert.ok(stdout.stdout.equals(data));
  });

  it("hints on stderr when put reads stdin from a terminal", async () => {
    // script(1) makes stdin a terminal; Ctrl-D (\x04) at the start of a line ends it.
    const res = await run("script", ["-qfec", `${PRESIGND} put cli/typed.txt -q`, "/dev/null"], {
      env,
      input: "typed in\n\x04",
    });
    assert.equal(res.code, 0, res.stdout.toString());
    assert.match(res.stdout.toString(), /presignd: reading the object from the terminal; end it with Ctrl-D/);
    const get = await run(PRESIGND, ["get", "cli/typed.txt"], { env });
    assert.equal(get.stdout.toString(), "typed in\n");
    const piped = await run(PRESIGND, ["put", "cli/piped.txt", "-q"], { env, input: "x" });
    assert.equal(piped.stderr, "");
  });

  it("says what was reached and what to fix when -s/--server is not presignd", async () => {
    const s3 = server.devS3Endpoint ?? assert.fail("dev S3 endpoint");
    const tls = server.url.replace("http://", "https://");
    const hostPort = server.url.replace("http://", "");
    const cases: [string[], RegExp][] = [
      [["--transport", "connect"], /^presignd: http:\/\/127\.0\.0\.1:\d+ answered HTTP 404, not as presignd does/],
      [["--transport", "grpc-web"], /^presignd: http:\/\/127\.0\.0\.1:\d+ answered HTTP 404, not as presignd does/],
      [
        ["--transport", "grpc"],
        /^presignd: http:\/\/127\.0\.0\.1:\d+ does not speak gRPC \(HTTP\/2\), so it is not presignd/,
      ],
    ];
    for (const [args, message] of cases) {
      const res = await run(PRESIGND, ["get", "x", "-s", s3, ...args]);
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, message, args.join(" "));
      assert.match(res.stderr, /: point -s\/--server \(PRESIGND_SERVER\) at presignd, not at S3\n$/);
    }
    for (const transport of ["connect", "grpc"]) {
      const res = await run(PRESIGND, ["get", "x", "-s", tls, "--transport", transport]);
      assert.equal(res.code, 1, res.stderr);
      assert.equal(
        res.stderr,
        `presignd: ${tls} does not speak TLS: use http:// instead of https:// in -s/--server (PRESIGND_SERVER)\n`,
      );
    }
    const bare = await run(PRESIGND, ["get", "x", "-s", hostPort]);
    assert.equal(bare.code, 1);
    assert.equal(
      bare.stderr,
      `presignd: -s/--server (PRESIGND_SERVER): "${hostPort}" is not a URL: did you mean http://${hostPort}?\n`,
    );
    const ftp = await run(PRESIGND, ["get", "x"], { env: { PRESIGND_SERVER: "ftp://127.0.0.1:21" } });
    assert.equal(
      ftp.stderr,
      'presignd: -s/--server (PRESIGND_SERVER): "ftp://127.0.0.1:21" must be an http:// or https:// URL\n',
    );
  });

  it("a failed get -f leaves no partial file behind when there is nothing to resume", async () => {
    const out = join(dir, "missing-out.bin");
    const res = await run(PRESIGND, ["get", "cli/missing", "-f", out], { env });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^presignd: S3 404 NoSuchKey: /);
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.startsWith("missing-out")),
      [],
      "no missing-out.bin.presignd-partial (or its state)",
    );
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
      ["head", "--help"],
      ["rm", "--help"],
      ["presign", "--help"],
    ]) {
      const res = await run(PRESIGND, args);
      assert.equal(res.code, 0, args.join(" "));
      assert.match(res.stdout.toString(), /^Usage: presignd/);
    }
  });

  it("serve refuses bad settings with a message naming the setting (every problem, not just the first)", async () => {
    const res = await run(PRESIGND, ["serve", "-b", "some-bucket", "--default-ttl", "soon"]);
    assert.equal(res.code, 1);
    assert.equal(
      res.stderr,
      "presignd: invalid settings\n" +
        '  --default-ttl (PRESIGND_DEFAULT_TTL): "soon" is not a duration like 15m, 1h, 90s or 7d\n' +
        "  no caller authentication: pass --policy FILE (PRESIGND_POLICY) with API keys or JWT settings and rules; only --dev runs without\n",
    );
    const one = await run(PRESIGND, ["serve", "--dev", "--default-ttl", "soon"]);
    assert.equal(one.code, 1);
    assert.equal(
      one.stderr,
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

// Real SIGINT/SIGTERM sent to the CLI while a transfer is under way: the
// presigned URLs go through a proxy that stalls mid-transfer.
describe("presignd CLI interrupted mid-transfer", () => {
  let server: TestServer;
  let proxy: StallProxy;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const MiB = 1024 * 1024;
  before(async () => {
    proxy = await startStallProxy();
    server = await startTestServer({ publicEndpoint: proxy.url });
    proxy.upstreamPort = Number(new URL(server.devS3Endpoint ?? assert.fail("dev S3")).port);
    dir = await mkdtemp(join(tmpdir(), "presignd-int-"));
    env = { PRESIGND_SERVER: server.url };
  });
  after(async () => {
    await server.close();
    await proxy.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts the CLI, stalls its transfer after `stallAfter` bytes, then sends `signal`. */
  async function interrupt(args: string[], signal: NodeJS.Signals, stallAfter: number, stdoutFd?: number) {
    proxy.stallAfter(stallAfter);
    const { child, result } = start(PRESIGND, args, { env, ...(stdoutFd === undefined ? {} : { stdoutFd }) });
    await proxy.stalled();
    child.kill(signal);
    const res = await result;
    proxy.stallAfter(undefined);
    return res;
  }

  async function file(name: string, size: number): Promise<{ path: string; data: Buffer }> {
    const path = join(dir, name);
    const data = randomBytes(size);
    await writeFile(path, data);
    return { path, data };
  }

  it("put --resume: SIGINT exits 130, keeps the state file, and running again completes the upload", async () => {
    const src = await file("resume.bin", 24 * MiB);
    const args = ["put", "int/resume.bin", "-f", src.path, "--resume", "--part-size", "5MiB", "-c", "2"];
    const res = await interrupt(args, "SIGINT", 7 * MiB);
    assert.equal(res.code, 130, res.stderr);
    assert.equal(
      res.stderr,
      `presignd: interrupted by SIGINT; kept ${src.path}.presignd-upload.json: run the same command again to resume\n`,
    );
    await stat(`${src.path}.presignd-upload.json`);
    const again = await run(PRESIGND, args, { env });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /^uploaded int\/resume\.bin: \d+ bytes in 5 parts/);
    const back = await run(PRESIGND, ["get", "int/resume.bin"], { env });
    assert.ok(back.stdout.equals(src.data), "the resumed upload is the file, byte for byte");
  });

  it("a single PUT: SIGTERM exits 143 and says nothing was stored", async () => {
    const src = await file("single.bin", 16 * MiB);
    const res = await interrupt(["put", "int/single.bin", "-f", src.path], "SIGTERM", 2 * MiB);
    assert.equal(res.code, 143, res.stderr);
    // (S3 and RGW store nothing of an unfinished PUT; s3rver keeps what it received, so that is not checked here.)
    assert.equal(res.stderr, "presignd: interrupted by SIGTERM; nothing was stored\n");
  });

  it("a ranged get -f: SIGINT exits 130, keeps the partial file, and running again finishes it", async () => {
    const src = await file("ranged.bin", 24 * MiB);
    assert.equal((await run(PRESIGND, ["put", "int/ranged.bin", "-f", src.path, "-q"], { env })).code, 0);
    const out = join(dir, "ranged-copy.bin");
    const args = ["get", "int/ranged.bin", "-f", out, "-c", "2", "--chunk-size", "4MiB"];
    const res = await interrupt(args, "SIGINT", 10 * MiB);
    assert.equal(res.code, 130, res.stderr);
    assert.equal(
      res.stderr,
      `presignd: interrupted by SIGINT; kept ${out}.presignd-partial: run the same command again to resume\n`,
    );
    await stat(`${out}.presignd-partial`);
    const again = await run(PRESIGND, args, { env });
    assert.equal(again.code, 0, again.stderr);
    assert.ok((await readFile(out)).equals(src.data));
  });

  it("get KEY > file: SIGINT exits 130 with one line, no stack trace", async () => {
    const src = await file("stdout.bin", 24 * MiB);
    assert.equal((await run(PRESIGND, ["put", "int/stdout.bin", "-f", src.path, "-q"], { env })).code, 0);
    const out = join(dir, "stdout-copy.bin");
    const fd = openSync(out, "w");
    try {
      const res = await interrupt(["get", "int/stdout.bin"], "SIGINT", 6 * MiB, fd);
      assert.equal(res.code, 130, res.stderr);
      assert.match(res.stderr, /^presignd: interrupted by SIGINT; stdout is incomplete \(\d+ of 25165824 bytes\)\n$/);
    } finally {
      closeSync(fd);
    }
  });

  it("a second signal quits at once, while the first one's clean-up (aborting the upload at S3) still waits", async () => {
    const src = await file("twice.bin", 24 * MiB);
    proxy.stallAfter(3 * MiB);
    const { child, result } = start(
      PRESIGND,
      ["put", "int/twice.bin", "-f", src.path, "--multipart-threshold", "5MiB", "--part-size", "5MiB"],
      { env },
    );
    await proxy.stalled();
    child.kill("SIGINT");
    await sleep(500); // the AbortMultipartUpload request now hangs in the stalled proxy
    child.kill("SIGINT");
    const res = await result;
    proxy.stallAfter(undefined);
    assert.equal(res.code, 130, res.stderr);
    assert.equal(res.stderr, "presignd: interrupted by SIGINT, then SIGINT: quit at once, without cleaning up\n");
  });

  it("on a terminal, Ctrl-C clears the progress bar's line and prints one line there", async () => {
    const src = await file("tty.bin", 16 * MiB);
    proxy.stallAfter(3 * MiB);
    // script(1) runs the CLI on a pseudo-terminal; ^C written to it is a real terminal interrupt.
    const { child, result } = start("script", ["-qfec", `${PRESIGND} put int/tty.bin -f ${src.path}`, "/dev/null"], {
      env,
      keepStdin: true,
    });
    await proxy.stalled();
    await sleep(300); // a frame of the bar (10 fps) after the last progress
    child.stdin?.write("\x03");
    const res = await result;
    proxy.stallAfter(undefined);
    const screen = res.stdout.toString();
    assert.equal(res.code, 130, screen);
    assert.match(screen, /put int\/tty\.bin \[/, "the bar was drawn");
    // The last line: cleared (ESC[2K), then the message; after it at most terminal controls, no text.
    assert.match(
      screen,
      /\x1b\[2K(?:\x1b\[\d*G)?presignd: interrupted by SIGINT; nothing was stored\r?\n(?:\x1b\[[\d;?]*[A-Za-z]|\r|\n)*$/,
    );
    assert.equal(screen.split("presignd: interrupted").length, 2, "one message");
  });
});
