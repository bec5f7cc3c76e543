// The guard of src/server/transport/connect-patches/: fails loudly when an
// upgrade of connect-es or protobuf-es changes a private API or behaviour the
// server relies on (see that folder's README.md, which this test also reads).
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative } from "node:path";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import * as protocol from "@connectrpc/connect/protocol";
import * as protocolConnect from "@connectrpc/connect/protocol-connect";
import * as protocolGrpc from "@connectrpc/connect/protocol-grpc";
import * as connectNode from "@connectrpc/connect-node";
import { GetObjectRequestSchema, PresignService } from "../../src/gen/presign/v1/presign_pb.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const PATCHES = "src/server/transport/connect-patches";
const README = readFileSync(join(ROOT, PATCHES, "README.md"), "utf8");
const require = createRequire(import.meta.url);

/** The versions README.md was checked against: an upgrade must re-check it, then change these. */
const CHECKED = {
  "@connectrpc/connect": "2.1.2",
  "@connectrpc/connect-node": "2.1.2",
  "@bufbuild/protobuf": "2.13.0",
};

const MODULES: Record<string, Record<string, unknown>> = {
  "@connectrpc/connect/protocol": protocol,
  "@connectrpc/connect/protocol-connect": protocolConnect,
  "@connectrpc/connect/protocol-grpc": protocolGrpc,
};

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

/** Every value or type name imported from connect-es's protocol subpaths, per file of src/. */
function protocolImports(): { file: string; module: string; name: string; typeOnly: boolean }[] {
  const found: { file: string; module: string; name: string; typeOnly: boolean }[] = [];
  for (const path of sources(join(ROOT, "src"))) {
    const text = readFileSync(path, "utf8");
    for (const m of text.matchAll(
      /(import|export)\s+(type\s+)?\{([^}]*)\}\s+from\s+"(@connectrpc\/connect\/protocol[^"]*)"/g,
    )) {
      for (const raw of (m[3] ?? "").split(",")) {
        const item = raw.trim();
        if (!item) continue;
        const typeOnly = m[2] !== undefined || item.startsWith("type ");
        found.push({
          file: relative(ROOT, path),
          module: m[4] as string,
          name: item.replace(/^type\s+/, "").split(/\s+as\s+/)[0] as string,
          typeOnly,
        });
      }
    }
  }
  return found;
}

describe("connect-patches: the private connect-es APIs the server relies on", () => {
  for (const [pkg, version] of Object.entries(CHECKED)) {
    it(`${pkg} is the version connect-patches/README.md was checked against (${version})`, () => {
      // The package.json next to the resolved entry (the packages do not export ./package.json).
      const entry = require.resolve(pkg);
      const installed = (
        JSON.parse(
          readFileSync(
            join(entry.slice(0, entry.lastIndexOf(`/node_modules/${pkg}/`)), "node_modules", pkg, "package.json"),
            "utf8",
          ),
        ) as {
          version: string;
        }
      ).version;
      assert.equal(
        installed,
        version,
        `${pkg} is ${installed}: re-check every item of ${PATCHES}/README.md, then update CHECKED here`,
      );
    });
  }

  it("only connect-patches/ imports connect-es's protocol internals, and its README names each import", () => {
    const imports = protocolImports();
    assert.ok(
      imports.some((i) => i.name === "invokeUnaryImplementation"),
      "the scan finds unary-fast-path.ts's imports",
    );
    for (const { file, module, name, typeOnly } of imports) {
      assert.ok(
        file.startsWith(`${PATCHES}/`),
        `${file} imports ${name} from ${module}: move that use into ${PATCHES}/`,
      );
      assert.ok(README.includes(`\`${name}\``) || typeOnly, `${PATCHES}/README.md does not name ${name} (${file})`);
      if (!typeOnly) {
        assert.notEqual(MODULES[module]?.[name], undefined, `${module} no longer exports ${name} (used by ${file})`);
      }
    }
  });

  it("connect-node still exports what unary-fast-path.ts calls", () => {
    for (const name of ["universalRequestFromNodeRequest", "universalResponseToNodeResponse", "connectNodeAdapter"]) {
      assert.equal(typeof (connectNode as Record<string, unknown>)[name], "function", name);
    }
  });

  it("codeToString and codeToHttpStatus spell codes as the Connect protocol does", () => {
    assert.equal(protocolConnect.codeToString(Code.InvalidArgument), "invalid_argument");
    assert.equal(protocolConnect.codeToString(Code.DeadlineExceeded), "deadline_exceeded");
    assert.equal(protocolConnect.codeToHttpStatus(Code.InvalidArgument), 400);
    assert.equal(protocolConnect.codeToHttpStatus(Code.ResourceExhausted), 429);
  });

  it('an undecodable binary message is Internal "parse binary: …" (connect-parse-errors.ts matches that text)', () => {
    const opt = protocol.validateUniversalHandlerOptions({});
    const lookup = protocol.createMethodSerializationLookup(
      PresignService.method.getObject,
      opt.binaryOptions,
      opt.jsonOptions,
      opt,
    );
    assert.equal(PresignService.method.getObject.input, GetObjectRequestSchema);
    assert.throws(
      () => lookup.getI(true).parse(new Uint8Array([0x0a, 0xff])),
      (e: unknown) =>
        e instanceof ConnectError && e.code === Code.Internal && e.rawMessage.startsWith("parse binary: "),
    );
  });

  it("setTrailerStatus still writes grpc-message with encodeURIComponent (grpc-message.ts re-encodes it)", () => {
    const trailer = new Headers();
    protocolGrpc.setTrailerStatus(trailer, new ConnectError("key: a/b?", Code.InvalidArgument));
    assert.equal(trailer.get("grpc-status"), "3");
    assert.equal(trailer.get("grpc-message"), encodeURIComponent("key: a/b?"));
  });

  it("parseTimeout reads grpc-timeout as unary-fast-path.ts expects", () => {
    assert.deepEqual(protocolGrpc.parseTimeout("250m", Number.MAX_SAFE_INTEGER), { timeoutMs: 250 });
    assert.equal(protocolGrpc.parseTimeout(null, Number.MAX_SAFE_INTEGER).timeoutMs, undefined);
    assert.ok(protocolGrpc.parseTimeout("x", Number.MAX_SAFE_INTEGER).error instanceof ConnectError);
  });

  it("protocol-connect's timeout, trailer and error helpers behave as unary-fast-path.ts expects", () => {
    assert.deepEqual(protocolConnect.parseTimeout("250", Number.MAX_SAFE_INTEGER), { timeoutMs: 250 });
    assert.ok(protocolConnect.parseTimeout("soon", Number.MAX_SAFE_INTEGER).error instanceof ConnectError);
    assert.equal(protocolConnect.headerTimeout.toLowerCase(), "connect-timeout-ms");
    const muxed = protocolConnect.trailerMux(new Headers({ a: "1" }), new Headers({ b: "2" }));
    assert.deepEqual([muxed.get("a"), muxed.get("trailer-b"), muxed.get("b")], ["1", "2", null]);
    const error = new ConnectError("key: too long", Code.InvalidArgument);
    assert.deepEqual(JSON.parse(new TextDecoder().decode(protocolConnect.errorToJsonBytes(error, {}))), {
      code: "invalid_argument",
      message: "key: too long",
    });
    assert.equal(protocolConnect.contentTypeUnaryJson, "application/json");
    assert.equal(protocolConnect.contentTypeUnaryProto, "application/proto");
  });

  it("invokeUnaryImplementation runs interceptors around the implementation", async () => {
    const seen: string[] = [];
    const spec = {
      kind: "unary",
      method: PresignService.method.getObject,
      impl: async () => {
        seen.push("impl");
        return {};
      },
    };
    const ctx = { values: undefined, signal: new AbortController().signal } as never;
    await protocol.invokeUnaryImplementation(spec as never, ctx, {} as never, [
      (next) => async (req) => {
        seen.push("interceptor");
        return next(req);
      },
    ]);
    assert.deepEqual(seen, ["interceptor", "impl"]);
  });
});
