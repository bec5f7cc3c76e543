import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { connectPresignd } from "../../src/cli/node-client.js";
import {
  GetObjectRequestSchema,
  type PresignedRequest,
  PresignedRequestSchema,
} from "../../src/gen/presign/v1/presign_pb.js";
import { BUF, run } from "../support/run.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

const RPC = "presign.v1.PresignService";

describe("real tools talk to presignd without our client library", () => {
  let server: TestServer;
  let dir: string;
  before(async () => {
    server = await startTestServer();
    dir = await mkdtemp(join(tmpdir(), "presignd-interop-"));
  });
  after(async () => {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A Connect JSON call with plain curl. */
  async function curlJson(method: string, body: unknown): Promise<unknown> {
    const res = await run("curl", [
      "-sS",
      "-X",
      "POST",
      "-H",
      "content-type: application/json",
      "-d",
      JSON.stringify(body),
      `${server.url}/${RPC}/${method}`,
    ]);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout.toString());
  }

  const calls = [
    ["GetObject", { key: "tools/a.txt", expiresIn: "60s" }],
    ["PutObject", { key: "tools/a.txt", contentLength: "5", contentType: "text/plain" }],
    ["PostPolicy", { key: "tools/${filename}", maxContentLength: "100" }],
  ] as const;

  for (const protocol of ["connect", "grpc", "grpcweb"]) {
    for (const [method, body] of calls) {
      it(`buf curl --protocol ${protocol} ${method}`, async () => {
        const res = await run(BUF, [
          "curl",
          "--schema",
          "proto",
          "--protocol",
          protocol,
          "--http2-prior-knowledge",
          "-d",
          JSON.stringify(body),
          `${server.url}/${RPC}/${method}`,
        ]);
        assert.equal(res.code, 0, res.stderr);
        const out = JSON.parse(res.stdout.toString()) as { url: string; expiresAt: string };
        assert.match(out.url, /^http:\/\/127\.0\.0\.1:\d+\/dev/);
        assert.ok(Date.parse(out.expiresAt) > Date.now());
      });
    }
  }

  it("buf curl shows a precise error and exits non-zero", async () => {
    const res = await run(BUF, [
      "curl",
      "--schema",
      "proto",
      "--protocol",
      "grpc",
      "--http2-prior-knowledge",
      "-d",
      '{"key":"k","contentLength":"-3"}',
      `${server.url}/${RPC}/PutObject`,
    ]);
    assert.notEqual(res.code, 0);
    const out = JSON.parse(res.stdout.toString() || res.stderr) as {
      code: string;
      message: string;
      details?: unknown[];
    };
    assert.equal(out.code, "invalid_argument");
    assert.equal(
      out.message,
      "content_length: must be greater than or equal to 0 and less than or equal to 5368709120 [int64.gte_lte]",
    );
    // protovalidate's buf.validate.Violations ride along as an error detail
    assert.equal(out.details?.length, 1);
  });

  it("curl: JSON POST, then the presigned PUT and GET", async () => {
    const p = (await curlJson("PutObject", { key: "curl/x.txt", contentLength: "5" })) as { url: string };
    const file = join(dir, "x.txt");
    await writeFile(file, "hello");
    const up = await run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "-T", file, p.url]);
    assert.equal(up.stdout.toString(), "200");
    const get = await run("curl", [
      "-sS",
      `${server.url}/${RPC}/GetObject?connect=v1&encoding=json&message=${encodeURIComponent('{"key":"curl/x.txt"}')}`,
    ]);
    const g = JSON.parse(get.stdout.toString()) as { url: string };
    const down = await run("curl", ["-sS", "--fail", g.url]);
    assert.equal(down.stdout.toString(), "hello");
  });

  it("curl -F with the PostPolicy fields, file last", async () => {
    const policy = (await curlJson("PostPolicy", {
      key: "curl/form/${filename}",
      maxContentLength: "1000",
      successActionStatus: 201,
    })) as { url: string; fields: Record<string, string> };
    const file = join(dir, "form.txt");
    await writeFile(file, "form bytes");
    // s3rver does not substitute ${filename}; S3 and RGW do. Name the key here.
    const fields = { ...policy.fields, key: "curl/form/form.txt" };
    const args = ["-sS", "-w", "\n%{http_code}"];
    for (const [name, value] of Object.entries(fields)) args.push("-F", `${name}=${value}`);
    args.push("-F", `file=@${file}`, policy.url);
    const up = await run("curl", args);
    assert.match(up.stdout.toString(), /\n201$/);
    const get = (await curlJson("GetObject", { key: "curl/form/form.txt" })) as { url: string };
    const down = await run("curl", ["-sS", "--fail", get.url]);
    assert.equal(down.stdout.toString(), "form bytes");
  });

  describe("@grpc/grpc-js client", () => {
    let client: grpc.Client & Record<string, grpc.requestCallback<PresignedRequest> | unknown>;
    before(() => {
      const Ctor = grpc.makeGenericClientConstructor(
        {
          getObject: {
            path: `/${RPC}/GetObject`,
            requestStream: false,
            responseStream: false,
            requestSerialize: (m: Parameters<typeof toBinary<typeof GetObjectRequestSchema>>[1]) =>
              Buffer.from(toBinary(GetObjectRequestSchema, m)),
            requestDeserialize: (b: Buffer) => fromBinary(GetObjectRequestSchema, b),
            responseSerialize: (m: PresignedRequest) => Buffer.from(toBinary(PresignedRequestSchema, m)),
            responseDeserialize: (b: Buffer) => fromBinary(PresignedRequestSchema, b),
          },
        },
        "PresignService",
      );
      client = new Ctor(new URL(server.url).host, grpc.credentials.createInsecure()) as typeof client;
    });
    after(() => client.close());

    function getObject(key: string, bucket = ""): Promise<PresignedRequest> {
      return new Promise((resolve, reject) => {
        (client.getObject as (m: unknown, cb: (e: grpc.ServiceError | null, r?: PresignedRequest) => void) => void)(
          { $typeName: "presign.v1.GetObjectRequest", bucket, key, versionId: "", range: "" },
          (error, res) => (error ? reject(error) : resolve(res as PresignedRequest)),
        );
      });
    }

    it("calls GetObject", async () => {
      const res = await getObject("grpc-js/object.txt");
      assert.equal(res.method, "GET");
      assert.match(res.url, /\/dev\/grpc-js\/object\.txt\?/);
    });

    it("gets INVALID_ARGUMENT with the field in grpc-message", async () => {
      const error = (await getObject("").catch((e: unknown) => e)) as grpc.ServiceError;
      assert.equal(error.code, grpc.status.INVALID_ARGUMENT);
      assert.equal(error.details, "key: must not be empty");
    });

    it("reads non-ASCII and % in grpc-message intact", async () => {
      const error = (await getObject("k", "zoë%").catch((e: unknown) => e)) as grpc.ServiceError;
      assert.equal(error.code, grpc.status.NOT_FOUND);
      assert.equal(error.details, 'bucket: "zoë%" is not served by this presignd');
    });
  });
});

describe("buf curl streams WatchUploads over every protocol", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ watchPollInterval: "100ms" });
  });
  after(() => server.close());

  // Connect and gRPC-Web over HTTP/1.1 (buf curl's default for http://), gRPC over h2c.
  for (const [protocol, http2] of [
    ["connect", false],
    ["grpcweb", false],
    ["grpc", true],
  ] as const) {
    it(`--protocol ${protocol}${http2 ? " (h2c)" : " (HTTP/1.1)"}: the upload's event arrives on the stream`, async () => {
      const prefix = `watch/${protocol}/`;
      const child = spawn(
        BUF,
        [
          "curl",
          "--schema",
          "proto",
          "--protocol",
          protocol,
          ...(http2 ? ["--http2-prior-knowledge"] : []),
          "-d",
          JSON.stringify({ prefix }),
          `${server.url}/${RPC}/WatchUploads`,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      let err = "";
      child.stdout.on("data", (chunk: Buffer) => {
        out += chunk;
      });
      child.stderr.on("data", (chunk: Buffer) => {
        err += chunk;
      });
      try {
        // Give buf curl a moment to connect and open the watch.
        await new Promise((r) => setTimeout(r, 1000));
        const client = connectPresignd({ baseUrl: server.url }).service;
        const put = await client.putObject({ key: `${prefix}a.txt`, contentLength: 3n, contentType: "text/plain" });
        assert.equal((await fetch(put.url, { method: "PUT", headers: put.headers, body: "abc" })).status, 200);
        for (let i = 0; i < 200 && !out.includes("}\n"); i++) await new Promise((r) => setTimeout(r, 25));
        const event = JSON.parse(out.slice(0, out.indexOf("}\n") + 1)) as {
          cursor: string;
          object: { key: string; size: string };
          kind: string;
        };
        assert.equal(event.object.key, `${prefix}a.txt`, err);
        assert.equal(event.object.size, "3");
        assert.equal(event.kind, "UPLOAD_KIND_PUT");
        assert.match(event.cursor, /^\d+$/);
      } finally {
        child.kill("SIGINT");
        await new Promise((r) => child.once("exit", r));
      }
    });
  }
});
