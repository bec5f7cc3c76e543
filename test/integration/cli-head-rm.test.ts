import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { PRESIGND, run } from "../support/run.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// The built CLI (bin/presignd → dist/) against the embedded S3: head, rm, presign head|delete|list.
describe("presignd head, rm and presign head|delete|list", () => {
  let server: TestServer;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "presignd-cli-head-"));
    env = { PRESIGND_SERVER: server.url };
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function put(key: string, body: string, ...flags: string[]): Promise<void> {
    const src = join(dir, "src.txt");
    await writeFile(src, body);
    const res = await run(PRESIGND, ["put", key, "-f", src, "-q", ...flags], { env });
    assert.equal(res.code, 0, res.stderr);
  }
  const head = (key: string, ...flags: string[]) => run(PRESIGND, ["head", key, ...flags], { env });

  it("head prints size, type, ETag, last-modified and metadata; --json as one object", async () => {
    await put("hr/report.csv", "a,b\n1,2\n", "-t", "text/csv", "--metadata", "owner=alice");
    const text = await head("hr/report.csv");
    assert.equal(text.code, 0, text.stderr);
    const out = text.stdout.toString();
    assert.match(out, /^key: +hr\/report\.csv$/m);
    assert.match(out, /^size: +8 bytes$/m);
    assert.match(out, /^content-type: +text\/csv$/m);
    assert.match(out, /^etag: +"[0-9a-f]{32}"$/m);
    assert.match(out, /^last-modified: +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/m);
    assert.match(out, /^meta\.owner: +alice$/m);
    const json = await head("hr/report.csv", "--json");
    assert.equal(json.code, 0, json.stderr);
    const parsed = JSON.parse(json.stdout.toString());
    assert.deepEqual(
      [parsed.key, parsed.size, parsed.contentType, parsed.metadata],
      ["hr/report.csv", 8, "text/csv", { owner: "alice" }],
    );
    assert.match(parsed.etag, /^"[0-9a-f]{32}"$/);
  });

  it("head of a missing key fails with S3's 404 in one line", async () => {
    const res = await head("hr/missing.txt");
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^presignd: S3 404 /);
    assert.equal(res.stderr.trim().split("\n").length, 1);
  });

  it("rm refuses without --yes when stdin is not a terminal, and deletes nothing", async () => {
    await put("hr/keep.txt", "keep");
    const res = await run(PRESIGND, ["rm", "hr/keep.txt"], { env });
    assert.equal(res.code, 1);
    assert.equal(
      res.stderr,
      "presignd: not deleting without confirmation: stdin is not a terminal to ask on; pass -y/--yes to delete (hr/keep.txt)\n",
    );
    assert.equal((await head("hr/keep.txt")).code, 0);
  });

  it("rm --yes deletes the object", async () => {
    await put("hr/gone.txt", "gone");
    const res = await run(PRESIGND, ["rm", "hr/gone.txt", "--yes"], { env });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stderr, "deleted hr/gone.txt\n");
    assert.match((await head("hr/gone.txt")).stderr, /S3 404/);
  });

  it("rm on a terminal asks, and only y deletes", async () => {
    await put("hr/asked.txt", "asked");
    // script(1) gives the CLI a terminal; what is written to it is typed.
    const no = await run("script", ["-qfec", `${PRESIGND} rm hr/asked.txt`, "/dev/null"], { env, input: "n\n" });
    assert.equal(no.code, 1, no.stdout.toString());
    assert.match(no.stdout.toString(), /delete hr\/asked\.txt\? \[y\/N\] /);
    assert.match(no.stdout.toString(), /not deleted/);
    assert.equal((await head("hr/asked.txt")).code, 0);
    const yes = await run("script", ["-qfec", `${PRESIGND} rm hr/asked.txt`, "/dev/null"], { env, input: "y\n" });
    assert.equal(yes.code, 0, yes.stdout.toString());
    assert.match(yes.stdout.toString(), /deleted hr\/asked\.txt/);
    assert.equal((await head("hr/asked.txt")).code, 1);
  });

  it("presign head|delete|list print requests the embedded S3 accepts", async () => {
    await put("hr/list/a.txt", "a");
    await put("hr/list/sub/b.txt", "b");
    const curl = await run(PRESIGND, ["presign", "head", "hr/list/a.txt", "--format", "curl"], { env });
    assert.equal(curl.code, 0, curl.stderr);
    assert.match(curl.stdout.toString(), /^curl -sS --globoff --fail --head '/);
    const list = await run(PRESIGND, ["presign", "list", "hr/list/", "--delimiter", "/", "--format", "url"], { env });
    assert.equal(list.code, 0, list.stderr);
    const res = await fetch(list.stdout.toString().trim());
    const xml = await res.text();
    assert.equal(res.status, 200, xml);
    assert.match(xml, /<Key>hr\/list\/a\.txt<\/Key>/);
    assert.match(xml, /<Prefix>hr\/list\/sub\/<\/Prefix>/);
    assert.doesNotMatch(xml, /<Key>hr\/list\/sub\/b\.txt<\/Key>/);
    const del = await run(PRESIGND, ["presign", "delete", "hr/list/a.txt"], { env });
    assert.equal(del.code, 0, del.stderr);
    const presigned = JSON.parse(del.stdout.toString());
    assert.equal(presigned.method, "DELETE");
    assert.equal((await fetch(presigned.url, { method: "DELETE" })).status, 204);
    assert.equal((await head("hr/list/a.txt")).code, 1);
  });

  it("presign get|head --cache-window: the same URL twice, signed as of the window start", async () => {
    await put("hr/cached.txt", "cached");
    for (const method of ["get", "head"]) {
      const args = ["presign", method, "hr/cached.txt", "--ttl", "2h", "--cache-window", "1h", "--format", "url"];
      const first = await run(PRESIGND, args, { env });
      const again = await run(PRESIGND, args, { env });
      assert.equal(first.code, 0, first.stderr);
      assert.equal(first.stderr, "", "no capped-TTL warning: expires_at counts from X-Amz-Date");
      const url = first.stdout.toString().trim();
      assert.match(new URL(url).searchParams.get("X-Amz-Date") ?? "", /^\d{8}T\d\d0000Z$/);
      // Equal unless an hour boundary fell between the two runs.
      if (
        new URL(again.stdout.toString().trim()).searchParams.get("X-Amz-Date") ===
        new URL(url).searchParams.get("X-Amz-Date")
      )
        assert.equal(again.stdout.toString(), first.stdout.toString());
      assert.equal((await fetch(url, { method: method.toUpperCase() })).status, 200);
    }
    const bad = await run(PRESIGND, ["presign", "get", "hr/cached.txt", "--ttl", "1m", "--cache-window", "5m"], {
      env,
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /cache_window: 5m is longer than the URL's lifetime of 1m/);
  });

  it("presign refuses flags that do not apply to the method", async () => {
    for (const [args, message] of [
      [["put", "k", "-l", "1", "--cache-window", "5m"], "--cache-window does not apply to presign put"],
      [["delete", "k", "--range", "0-9"], "--range does not apply to presign delete"],
      [["head", "k", "-l", "5"], "--content-length does not apply to presign head"],
      [["get", "k", "--delimiter", "/"], "--delimiter does not apply to presign get"],
      [["list", "p/", "--version-id", "v"], "--version-id does not apply to presign list"],
    ] as const) {
      const res = await run(PRESIGND, ["presign", ...args], { env });
      assert.equal(res.code, 1, args.join(" "));
      assert.equal(res.stderr, `presignd: ${message}\n`);
    }
    const bad = await run(PRESIGND, ["presign", "list", "p/", "--max-keys", "1001"], { env });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /max_keys: must be greater than or equal to 0 and less than or equal to 1000/);
  });
});
