import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { ROOT, run } from "../support/run.js";
import { tempDir } from "../support/temp-dir.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// Issue #11's budget for @presignd/client, measured as a new user meets it:
// the packed tarball installed into a fresh app, and a browser bundle of
// upload + download.
const CLIENT = join(ROOT, "src/client");
const MAX_INSTALL_BYTES = 15 * 1000 * 1000;
const MAX_BUNDLE_GZIP_BYTES = 80 * 1024;
/** Server, CLI and SDK packages a client app must never get. */
const FORBIDDEN = [
  "@aws-sdk/client-s3",
  "@smithy/signature-v4",
  "pino",
  "pg",
  "better-sqlite3",
  "@20minutes/s3rver",
  "commander",
  "cli-progress",
  "@connectrpc/connect-node",
  "@bufbuild/protovalidate",
];
const INSTALL_SCRIPTS = ["preinstall", "install", "postinstall"] as const;

/** npm's own settings from an enclosing `npm test` (npm_config_*) must not reach the consumer's npm. */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith("npm_")));
}

async function npm(args: string[], cwd: string): Promise<{ stdout: string; all: string }> {
  const result = await run("npm", args, { env: cleanEnv(), cwd });
  assert.equal(result.code, 0, `npm ${args.join(" ")} failed:\n${result.stderr}`);
  const stdout = result.stdout.toString();
  return { stdout, all: `${stdout}${result.stderr}` };
}

interface LockPackage {
  readonly name?: string;
  readonly version?: string;
  readonly hasInstallScript?: boolean;
  readonly link?: boolean;
}

describe("@presignd/client as a fresh app installs it", () => {
  const work = tempDir("presignd-client-package-");
  const app = join(work, "app");
  let tarball = "";
  let installLog = "";
  let installed: Map<string, LockPackage>;
  let server: TestServer;

  before(async () => {
    assert.ok(
      existsSync(join(CLIENT, "dist/client/index.js")),
      "src/client/dist is missing: run `npm run build` first",
    );
    const packed = JSON.parse((await npm(["pack", "--json", "--pack-destination", work], CLIENT)).stdout) as {
      filename: string;
      files: { path: string }[];
    }[];
    const [entry] = packed;
    assert.ok(entry, "npm pack reported no tarball");
    tarball = join(work, entry.filename);
    const files = entry.files.map((f) => f.path);
    assert.deepEqual(
      files.filter((f) => !/^dist\/.+\.(js|d\.ts)$/.test(f) && f !== "package.json" && f !== "README.md"),
      [],
      "the tarball holds only dist/ JavaScript and types",
    );
    mkdirSync(app);
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
    installLog = (
      await npm(["install", "--prefer-offline", "--no-audit", "--no-fund", "--foreground-scripts", tarball], app)
    ).all;
    const lock = JSON.parse(readFileSync(join(app, "node_modules/.package-lock.json"), "utf8")) as {
      packages: Record<string, LockPackage>;
    };
    installed = new Map(
      Object.entries(lock.packages).map(([path, info]) => [path.replace(/^.*node_modules\//, ""), info]),
    );
    server = await startTestServer();
  });
  after(() => server?.close());

  it(`adds at most ${MAX_INSTALL_BYTES / 1e6} MB to node_modules`, async (t) => {
    const du = await run("du", ["-sb", join(app, "node_modules")]);
    const bytes = Number(du.stdout.toString().split("\t")[0]);
    t.diagnostic(
      `installed: ${(bytes / 1e6).toFixed(1)} MB, ${installed.size} packages: ${[...installed.keys()].join(", ")}`,
    );
    assert.ok(bytes > 0);
    assert.ok(bytes <= MAX_INSTALL_BYTES, `node_modules holds ${bytes} bytes`);
  });

  it("installs only what a client needs: no server, CLI or SDK package", () => {
    for (const name of FORBIDDEN) assert.equal(installed.has(name), false, `${name} was installed`);
    assert.ok(installed.has("@presignd/client"));
    assert.ok(installed.has("@connectrpc/connect-web"));
  });

  it("runs no install script", () => {
    for (const [name, info] of installed) assert.notEqual(info.hasInstallScript, true, `${name} has an install script`);
    for (const name of installed.keys()) {
      const manifest = JSON.parse(readFileSync(join(app, "node_modules", name, "package.json"), "utf8")) as {
        scripts?: Record<string, string>;
      };
      for (const script of INSTALL_SCRIPTS) {
        assert.equal(manifest.scripts?.[script], undefined, `${name} has a ${script} script`);
      }
    }
    assert.doesNotMatch(installLog, /^> .*(preinstall|install|postinstall)$/m);
  });

  it("is ESM with types and sideEffects: false", () => {
    const dir = join(app, "node_modules/@presignd/client");
    const manifest = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as {
      type?: string;
      sideEffects?: boolean;
      exports: Record<string, { types?: string; default?: string } | string>;
    };
    assert.equal(manifest.type, "module");
    assert.equal(manifest.sideEffects, false);
    for (const subpath of [".", "./node"]) {
      const target = manifest.exports[subpath];
      assert.ok(typeof target === "object" && target.types && target.default, `exports["${subpath}"]`);
      assert.ok(existsSync(join(dir, target.types)), `${target.types} is in the package`);
      assert.ok(existsSync(join(dir, target.default)), `${target.default} is in the package`);
    }
  });

  it("type-checks a consumer's TypeScript against the packed types", async () => {
    writeFileSync(
      join(app, "check.ts"),
      [
        'import { createPresignClient, isS3Error, type UploadOptions } from "@presignd/client";',
        'import { createPresignClient as onNode, fileStateStore } from "@presignd/client/node";',
        'const options: UploadOptions = { params: { contentType: "text/plain" }, concurrency: 2 };',
        'const web = createPresignClient({ baseUrl: "https://presign.example.com" });',
        'const node = onNode({ baseUrl: "http://127.0.0.1:8080" });',
        "export async function use(file: Blob): Promise<boolean> {",
        '  await web.upload("a.txt", file, options);',
        '  const blob: Blob = await web.download("a.txt");',
        '  await node.upload("b.bin", "./b.bin", { resume: { store: fileStateStore("./state.json") } });',
        '  await node.download("b.bin", "./copy.bin", { keepPartial: true });',
        "  return isS3Error(blob);",
        "}",
        "",
      ].join("\n"),
    );
    const tsc = await run(
      process.execPath,
      [
        join(ROOT, "node_modules/typescript/bin/tsc"),
        "--noEmit",
        "--strict",
        "--exactOptionalPropertyTypes",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2022",
        "--lib",
        "es2022,dom",
        "--typeRoots",
        join(ROOT, "node_modules/@types"),
        "--types",
        "node",
        "check.ts",
      ],
      { cwd: app },
    );
    assert.equal(tsc.code, 0, tsc.stdout.toString());
  });

  it("works with plain node: @presignd/client and @presignd/client/node move bytes through presignd", async () => {
    writeFileSync(join(app, "big.bin"), Buffer.alloc(300_000, 7));
    writeFileSync(
      join(app, "round-trip.mjs"),
      [
        'import { createPresignClient } from "@presignd/client";',
        'import { createPresignClient as onNode } from "@presignd/client/node";',
        'import { readFileSync } from "node:fs";',
        "const baseUrl = process.argv[2];",
        "const web = createPresignClient({ baseUrl });",
        'await web.upload("consumer/hello.txt", new TextEncoder().encode("hello from a consumer"));',
        'const text = await (await web.download("consumer/hello.txt")).text();',
        "const node = onNode({ baseUrl });",
        'await node.upload("consumer/big.bin", "big.bin");',
        'await node.download("consumer/big.bin", "copy.bin", { chunkSize: 100_000 });',
        'console.log(JSON.stringify({ text, same: readFileSync("copy.bin").equals(readFileSync("big.bin")) }));',
        "",
      ].join("\n"),
    );
    const result = await run(process.execPath, ["round-trip.mjs", server.url], {
      cwd: app,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(JSON.parse(result.stdout.toString()), { text: "hello from a consumer", same: true });
  });

  it(`bundles upload + download for browsers in at most ${MAX_BUNDLE_GZIP_BYTES / 1024} KB gzipped, with no node: import`, async (t) => {
    const bundle = await build({
      stdin: {
        contents: [
          'import { createPresignClient } from "@presignd/client";',
          'const client = createPresignClient({ baseUrl: "https://presign.example.com" });',
          "export async function roundTrip(file) {",
          '  await client.upload("photos/cat.jpg", file, { onProgress: console.log });',
          '  return client.download("photos/cat.jpg");',
          "}",
        ].join("\n"),
        resolveDir: app,
        loader: "js",
      },
      bundle: true,
      platform: "browser",
      format: "esm",
      minify: true,
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const [output] = bundle.outputFiles;
    assert.ok(output);
    const gzipped = gzipSync(output.contents).byteLength;
    const inputs = Object.entries(bundle.metafile.inputs);
    t.diagnostic(
      `browser bundle: ${(output.contents.byteLength / 1024).toFixed(1)} KB minified, ${(gzipped / 1024).toFixed(1)} KB gzipped, ${inputs.length} modules`,
    );
    assert.ok(gzipped <= MAX_BUNDLE_GZIP_BYTES, `${gzipped} bytes gzipped`);
    assert.ok(inputs.some(([path]) => path.includes("@presignd/client/dist/client/upload/")));
    assert.ok(inputs.some(([path]) => path.includes("@presignd/client/dist/client/download/")));
    for (const [path, input] of inputs) {
      assert.equal(path.includes("/dist/client/node/"), false, `${path}: the Node entry reached the browser bundle`);
      for (const imported of input.imports) {
        assert.equal(imported.path.startsWith("node:"), false, `${path} imports ${imported.path}`);
      }
    }
  });
});
