import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { buildGoExample } from "../support/go-example.js";
import { writePolicy } from "../support/policy.js";
import { presigndForRgw, type RgwPresignd, rgwFromEnv } from "../support/rgw.js";

/** Runs the Go client with optional stdin; resolves with its exit code and output. */
function goClient(
  binary: string,
  args: string[],
  stdin?: Buffer,
): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(binary, args, { encoding: "buffer", maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr: stderr.toString() });
    });
    child.stdin?.end(stdin ?? Buffer.alloc(0));
  });
}

// The aws-sdk-go example client (example/service/s3/presignURL/client), built
// unchanged from Debian's package, against production-mode presignd on RGW:
// it sends no credentials, so a rule admits anonymous callers from loopback.
// Its keys go into the URL path as given, so only keys a URL path carries.
const POLICY = `rules:
  - name: example-client
    principals: [anonymous]
    networks: ["127.0.0.1/32", "::1/128"]
    operations: [get, put]
    buckets: ["*"]
    keys: ["go/*"]
`;

const KEYS = [
  "go/plain.txt",
  "go/deep/slashes/in/key.bin",
  "go/with space.txt",
  "go/plus+sign.txt",
  "go/equals=sign.txt",
  "go/unicode-zoë-日本語-😀.txt",
];

describe("the aws-sdk-go presignURL example client, unchanged, against production-mode presignd on RGW", () => {
  const rgw = rgwFromEnv();
  let p: RgwPresignd;
  let client: string;
  let dir: string;
  before(async () => {
    client = await buildGoExample("client");
    dir = await mkdtemp(join(tmpdir(), "presignd-go-client-"));
    p = await presigndForRgw(rgw, { policy: await writePolicy(POLICY) });
  });
  after(async () => {
    await p.server.close();
    await rm(dir, { recursive: true, force: true });
  });

  for (const key of KEYS) {
    it(`put -f and get -f ${JSON.stringify(key)}`, async () => {
      const body = randomBytes(4096 + Math.floor(Math.random() * 4096));
      const src = join(dir, "src.bin");
      const dst = join(dir, "dst.bin");
      await writeFile(src, body);
      const put = await goClient(client, ["-s", p.server.url, "-put", key, "-f", src]);
      assert.equal(put.code, 0, put.stderr);
      const get = await goClient(client, ["-s", p.server.url, "-get", key, "-f", dst]);
      assert.equal(get.code, 0, get.stderr);
      assert.deepEqual(await readFile(dst), body);
    });
  }

  it("put from stdin, get to stdout", async () => {
    const body = Buffer.from("from stdin\n".repeat(100));
    const put = await goClient(client, ["-s", p.server.url, "-put", "go/stdin.txt"], body);
    assert.equal(put.code, 0, put.stderr);
    const get = await goClient(client, ["-s", p.server.url, "-get", "go/stdin.txt"]);
    assert.equal(get.code, 0, get.stderr);
    assert.deepEqual(get.stdout, body);
  });

  it("an empty file: presignd signs content-length 0; the unchanged client sends none, so RGW refuses it", async () => {
    // Go's net/http sends an empty *os.File (or NopCloser) body as
    // "Transfer-Encoding: chunked" with no Content-Length. No length-signed URL
    // can accept that, and presignd never hands out an unbounded PUT (the
    // example server does: it leaves the length out of the signature at 0).
    const empty = join(dir, "empty.bin");
    await writeFile(empty, "");
    const put = await goClient(client, ["-s", p.server.url, "-put", "go/empty-file", "-f", empty]);
    assert.equal(put.code, 1);
    assert.match(put.stderr, /failed to put S3 object, 403/);
    // The same URL with the signed Content-Length: 0 stores the empty object.
    const rest = (await (await fetch(`${p.server.url}/presign/go/empty-file?method=PUT&contentLength=0`)).json()) as {
      URL: string;
      Header: Record<string, string[]>;
    };
    assert.deepEqual(rest.Header, { "Content-Length": ["0"] });
    const stored = await fetch(rest.URL, { method: "PUT", body: new Uint8Array(0) });
    assert.equal(stored.status, 200);
    const get = await goClient(client, ["-s", p.server.url, "-get", "go/empty-file"]);
    assert.equal(get.code, 0, get.stderr);
    assert.equal(get.stdout.length, 0);
  });

  it("outside the rule's keys it is refused, as the example client reports it", async () => {
    const get = await goClient(client, ["-s", p.server.url, "-get", "elsewhere/x"]);
    assert.equal(get.code, 1);
    assert.match(get.stderr, /failed to get valid presign response, 403 Forbidden/);
  });
});
