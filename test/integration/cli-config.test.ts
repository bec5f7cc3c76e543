// `presignd config check|print` and `presignd serve --config`, as real processes.
import assert from "node:assert/strict";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { parse } from "yaml";
import { connectPresignd } from "../../src/cli/node-client.js";
import { ALLOW_ALL, KEYS } from "../support/policy.js";
import { PRESIGND, ROOT, run } from "../support/run.js";
import { startServe } from "../support/serve-process.js";
import { tempDir } from "../support/temp-dir.js";
import { waitFor } from "../support/wait-for.js";

/** ALLOW_ALL indented under a config file's `policy:`. */
const INLINE_POLICY = `policy:\n${ALLOW_ALL.replace(/^/gm, "  ")}`;

const presignd = (args: string[], env: NodeJS.ProcessEnv = {}) => run(PRESIGND, args, { env, timeoutMs: 60_000 });

describe("presignd config check", () => {
  let dir: string;
  before(async () => {
    dir = tempDir("presignd-config-");
    await writeFile(
      join(dir, "bad.yaml"),
      "adr: 127.0.0.1:1\nbucket: [media, Bad_Bucket]\nmax-ttl: 8d\ndev: maybe\npolicy: ./policy.yaml\n",
    );
    await writeFile(join(dir, "policy.yaml"), "principals:\n  - name: bad name\nrules: []\n");
    await writeFile(
      join(dir, "good.yaml"),
      `addr: 127.0.0.1:0\nbucket: media\nendpoint: http://127.0.0.1:9\n${INLINE_POLICY}`,
    );
    await writeFile(
      join(dir, "bad-inline.yaml"),
      "dev: true\npolicy:\n  rules:\n    - name: r\n      operations: [fly]\n",
    );
  });

  it("reports every problem, each as file:line:col, the referenced policy file's too, and exits 1", async () => {
    const bad = join(dir, "bad.yaml");
    const policy = join(dir, "policy.yaml");
    const res = await presignd(["config", "check", bad]);
    assert.equal(res.code, 1, res.stderr);
    assert.deepEqual(res.stdout.toString().trimEnd().split("\n"), [
      `${bad}:1:1: unknown setting "adr" (did you mean "addr"?)`,
      `${bad}:2:9: bucket: "Bad_Bucket" is not a valid S3 bucket name`,
      `${bad}:3:10: max-ttl: SigV4 presigned requests live at most 7d`,
      `${bad}:4:6: dev: expected true or false`,
      `${policy}:2:11: principals[0].name: expected 1-128 letters, digits or ._@:-`,
    ]);
  });

  it("an inline policy is checked in place, with the config file's positions", async () => {
    const file = join(dir, "bad-inline.yaml");
    const res = await presignd(["config", "check", file]);
    assert.equal(res.code, 1);
    const lines = res.stdout.toString().trimEnd().split("\n");
    assert.ok(
      lines.includes(
        `${file}:5:19: policy.rules[0].operations: "fly" is not one of get, put, post, multipart, head, delete, list, confirm, watch`,
      ),
      lines.join("\n"),
    );
    assert.ok(
      lines.every((line) => line.startsWith(`${file}:`)),
      lines.join("\n"),
    );
  });

  it("a good file: exit 0 and one OK line; flags and env are not read", async () => {
    const file = join(dir, "good.yaml");
    const res = await presignd(["config", "check", file], { PRESIGND_ADDR: "garbage" });
    assert.equal(res.stderr, "");
    assert.equal(res.code, 0);
    assert.equal(res.stdout.toString(), `${file}: OK (4 settings; the rest default)\n`);
  });

  it("an unreadable file is one line naming it", async () => {
    const res = await presignd(["config", "check", join(dir, "nope.yaml")]);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^presignd: cannot read config file .*nope\.yaml: ENOENT[^\n]*\n$/);
  });
});

describe("presignd config print", () => {
  it("prints the effective settings, each with its source, secrets redacted", async () => {
    const dir = tempDir("presignd-print-");
    const file = join(dir, "presignd.yaml");
    await writeFile(
      file,
      `bucket: media\nlog-level: warn\nmax-ttl: 2h\nhandle-store: postgres://presignd:hunter2@db/presignd\n${INLINE_POLICY}`,
    );
    const res = await presignd(["config", "print", "--config", file, "--max-ttl", "1h"], {
      PRESIGND_LOG_LEVEL: "debug",
      PRESIGND_DEFAULT_TTL: "10m",
    });
    assert.equal(res.stderr, "");
    assert.equal(res.code, 0);
    const text = res.stdout.toString();
    assert.match(text, /^max-ttl: 1h # flag$/m);
    assert.match(text, /^log-level: debug # env PRESIGND_LOG_LEVEL$/m);
    assert.match(text, /^default-ttl: 10m # env PRESIGND_DEFAULT_TTL$/m);
    assert.match(text, new RegExp(`^handle-store: postgres://presignd:REDACTED@db/presignd # file ${file}:4:15$`, "m"));
    assert.match(text, /^addr: 127\.0\.0\.1:8080 # default$/m);
    assert.ok(!text.includes("hunter2"));
    const printed = parse(text) as { policy: { principals: { api_key_sha256: string[] }[] } };
    assert.deepEqual(printed.policy.principals[0]?.api_key_sha256, ["REDACTED"]);
  });

  it("also via PRESIGND_CONFIG; settings serve would refuse are printed, then named on stderr, exit 1", async () => {
    const dir = tempDir("presignd-print-");
    const file = join(dir, "presignd.yaml");
    await writeFile(file, "dev: true\naddr: nowhere\n");
    const res = await presignd(["config", "print"], { PRESIGND_CONFIG: file });
    assert.equal(res.code, 1);
    assert.match(res.stdout.toString(), new RegExp(`^addr: nowhere # file ${file}:2:7$`, "m"));
    assert.equal(res.stderr, `${file}:2:7: addr: "nowhere" is not an address like 127.0.0.1:8080\n`);
  });
});

describe("presignd serve --config", () => {
  it("serves with the file's settings and its inline policy; a flag overrides the file", async () => {
    const dir = tempDir("presignd-serve-config-");
    const file = join(dir, "presignd.yaml");
    // addr names a port that is not free to bind for tests; the -a flag wins.
    await writeFile(
      file,
      `dev: true\naddr: 127.0.0.1:1\ndev-s3-addr: 127.0.0.1:0\ndev-data-dir: ./data\nlog-level: info\ndrain-delay: 0s\n${INLINE_POLICY}`,
    );
    const served = await startServe(["--config", file, "-a", "127.0.0.1:0"], { env: { PRESIGND_LOG_LEVEL: "" } });
    try {
      assert.match(served.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(served.url, "http://127.0.0.1:1");
      const admin = connectPresignd({ baseUrl: served.url, headers: { "x-api-key": KEYS.admin } });
      await admin.upload("from-config.txt", Buffer.from("configured"));
      const chunks: Uint8Array[] = [];
      await admin.download("from-config.txt", new WritableStream({ write: (c) => void chunks.push(c) }));
      assert.equal(Buffer.concat(chunks).toString(), "configured");
      // The inline policy is in force: no key, no signature.
      await assert.rejects(
        connectPresignd({ baseUrl: served.url }).service.getObject({ key: "from-config.txt" }),
        (e: unknown) => ConnectError.from(e).code === Code.Unauthenticated,
      );
      assert.ok(served.lines.some((l) => l.msg === "policy loaded"));
      // SIGHUP re-reads the inline policy from the config file: now put only, so get is denied.
      await writeFile(
        file,
        (await readFile(file, "utf8")).replace(
          "operations: [get, put, post, multipart, head, delete, list, confirm, watch]",
          "operations: [put]",
        ),
      );
      served.signal("SIGHUP");
      await waitFor(() => served.lines.find((l) => l.msg === "policy reloaded"), 30_000);
      await assert.rejects(
        admin.service.getObject({ key: "from-config.txt" }),
        (e: unknown) => ConnectError.from(e).code === Code.PermissionDenied,
      );
    } finally {
      assert.equal(await served.stop(), 0);
    }
  });

  it("a policy file named in the config is read relative to the config file; env overrides the file", async () => {
    const dir = tempDir("presignd-serve-config-");
    await mkdir(join(dir, "conf"));
    const file = join(dir, "conf", "presignd.yaml");
    await writeFile(join(dir, "conf", "policy.yaml"), ALLOW_ALL);
    await writeFile(
      file,
      "dev: true\naddr: 127.0.0.1:1\ndev-s3-addr: 127.0.0.1:0\ndev-data-dir: ./data\npolicy: ./policy.yaml\n",
    );
    // Started elsewhere: the relative paths are the config file's, not the working directory's.
    const served = await startServe(["--config", file], { env: { PRESIGND_ADDR: "127.0.0.1:0" }, cwd: dir });
    try {
      const admin = connectPresignd({ baseUrl: served.url, headers: { "x-api-key": KEYS.admin } });
      const signed = await admin.service.getObject({ key: "x.txt" });
      assert.match(signed.url, /\/dev\/x\.txt\?/);
      await assert.rejects(
        connectPresignd({ baseUrl: served.url }).service.getObject({ key: "x.txt" }),
        (e: unknown) => ConnectError.from(e).code === Code.Unauthenticated,
      );
    } finally {
      assert.equal(await served.stop(), 0);
    }
  });

  it("refuses a bad file before listening: every problem, with file:line:col, exit 1", async () => {
    const dir = tempDir("presignd-serve-config-");
    const file = join(dir, "presignd.yaml");
    await writeFile(file, "dev: true\nadr: 127.0.0.1:0\nmax-ttl: 8d\n");
    const res = await presignd(["serve", "--config", file]);
    assert.equal(res.code, 1);
    assert.equal(
      res.stderr,
      `presignd: invalid settings\n  ${file}:2:1: unknown setting "adr" (did you mean "addr"?)\n  ${file}:3:10: max-ttl: SigV4 presigned requests live at most 7d\n`,
    );
  });
});

describe("the README's config file section", () => {
  it("its example passes config check, and config print shows what the README says", async () => {
    const readme = await readFile(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(
      readme.indexOf("### Config file"),
      readme.indexOf("\n### ", readme.indexOf("### Config file") + 1),
    );
    const [yaml, check, print] = [...section.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => m[2] as string);
    const dir = tempDir("presignd-readme-config-");
    await writeFile(join(dir, "presignd.yaml"), yaml ?? assert.fail("no yaml block"));
    await writeFile(join(dir, "policy.yaml"), ALLOW_ALL);
    const checked = await run(PRESIGND, ["config", "check", "presignd.yaml"], { cwd: dir });
    assert.equal(checked.code, 0, checked.stdout.toString());
    assert.ok(check?.includes(checked.stdout.toString()), `the README shows ${checked.stdout}`);
    const printed = await run(PRESIGND, ["config", "print", "--config", "presignd.yaml", "--max-ttl", "1h"], {
      cwd: dir,
      env: { PRESIGND_LOG_LEVEL: "debug" },
    });
    assert.equal(printed.code, 0, printed.stderr);
    const shown = (print ?? "").split("\n").filter((l) => l !== "" && !l.startsWith("$") && l !== "…");
    for (const line of shown) assert.ok(printed.stdout.toString().split("\n").includes(line), line);
  });
});
