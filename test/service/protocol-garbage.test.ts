import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { brotliCompressSync, gzipSync } from "node:zlib";
import { create, toBinary } from "@bufbuild/protobuf";
import { BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { connectPresignd } from "../../src/cli/node-client.js";
import { GetObjectRequestSchema, PutObjectRequestSchema } from "../../src/gen/presign/v1/presign_pb.js";
import { grpcWebStatus } from "../support/grpc-web-raw.js";
import { grpcFrame, type RawH2Response, rawH2Post } from "../support/h2-raw.js";
import { rawRequest } from "../support/raw-http.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// Caller garbage at the protocol layer — content types in any case, Connect
// GET queries, compressed bodies, bytes that are not UTF-8 — is
// invalid_argument (HTTP 400, grpc-status 3) with a message naming the field:
// never internal, never answered for a request altered on the way in.

const GET_OBJECT = "/presign.v1.PresignService/GetObject";
const PUT_OBJECT = "/presign.v1.PresignService/PutObject";
/** Not UTF-8: two bytes that never occur in it, then a truncated two-byte sequence. */
const NOT_UTF8 = Buffer.from([0xff, 0xfe, 0xc3]);
const NON_ASCII_KEY = "ümlaut/✓.txt";
const NON_ASCII_PATH = "/dev/%C3%BCmlaut/%E2%9C%93.txt";

const ld = WireType.LengthDelimited;
/** GetObjectRequest{key: NOT_UTF8} (key is field 2). */
const getWithBadKey = Buffer.from(new BinaryWriter().tag(2, ld).bytes(NOT_UTF8).finish());
/** PutObjectRequest{key: "k", content_length: 1, metadata: {"owner": NOT_UTF8}} (metadata is field 7). */
const putWithBadMetadata = Buffer.concat([
  toBinary(PutObjectRequestSchema, create(PutObjectRequestSchema, { key: "k", contentLength: 1n })),
  new BinaryWriter().tag(7, ld).fork().tag(1, ld).string("owner").tag(2, ld).bytes(NOT_UTF8).join().finish(),
]);
const getProto = (key: string) =>
  Buffer.from(toBinary(GetObjectRequestSchema, create(GetObjectRequestSchema, { key })));
/** A JSON document with NOT_UTF8 where `@` stands. */
const jsonWithBadBytes = (template: string) => {
  const [before = "", after = ""] = template.split("@");
  return Buffer.concat([Buffer.from(before), NOT_UTF8, Buffer.from(after)]);
};
const truncated = (bytes: Buffer) => bytes.subarray(0, bytes.byteLength - 4);

interface ConnectAnswer {
  readonly status: number;
  readonly code: string;
  readonly message: string;
  readonly url: string;
}

describe("protocol-layer garbage is invalid_argument naming the field", () => {
  let server: TestServer;
  let adapterOnly: TestServer;
  before(async () => {
    server = await startTestServer();
    adapterOnly = await startTestServer({}, { rpcAdapter: connectNodeAdapter });
  });
  after(async () => {
    await server?.close();
    await adapterOnly?.close();
  });

  async function connect(
    path: string,
    init: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
  ): Promise<ConnectAnswer> {
    const res = await rawRequest(`${server.url}${path}`, init);
    const json = JSON.parse(res.body.toString("utf8")) as { code?: string; message?: string; url?: string };
    return { status: res.status, code: json.code ?? "", message: json.message ?? "", url: json.url ?? "" };
  }
  const post = (path: string, contentType: string, body: Buffer | string, headers: Record<string, string> = {}) =>
    connect(path, { method: "POST", headers: { "content-type": contentType, ...headers }, body });
  const getQuery = (query: string) => connect(`${GET_OBJECT}?connect=v1&${query}`);
  const base64url = (bytes: Buffer | string) => Buffer.from(bytes).toString("base64url");

  function refused(answer: ConnectAnswer, message: RegExp): void {
    assert.deepEqual(
      { status: answer.status, code: answer.code },
      { status: 400, code: "invalid_argument" },
      answer.message,
    );
    assert.match(answer.message, message);
  }
  function signed(answer: ConnectAnswer, path: string): void {
    assert.equal(answer.status, 200, answer.message);
    assert.equal(new URL(answer.url).pathname, path);
  }

  describe("Connect content types are case-insensitive", () => {
    for (const type of ["application/PROTO", "Application/Proto", "APPLICATION/PROTO"]) {
      it(`${type} with bytes that are not protobuf`, async () => {
        refused(
          await post(GET_OBJECT, type, Buffer.from([0x0a, 0x05, 0x61])),
          /^request: not a valid protobuf message \(premature EOF\)$/,
        );
      });
    }
    it("Application/JSON; Charset=UTF-8 with a body that is not UTF-8", async () => {
      refused(
        await post(GET_OBJECT, "Application/JSON; Charset=UTF-8", jsonWithBadBytes('{"key": "@"}')),
        /^key: is not valid UTF-8$/,
      );
    });
    it("a streaming call (Connect, application/Connect+Proto) ends with invalid_argument", async () => {
      const res = await rawH2Post(
        server.url,
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        { "content-type": "application/Connect+Proto" },
        grpcFrame(Buffer.from([0x0a, 0x05, 0x61])),
      );
      assert.equal(res.headers[":status"], 200);
      assert.equal(res.body[0], 0b10, "an end-stream message");
      assert.deepEqual(JSON.parse(res.body.subarray(5).toString()), {
        error: { code: "invalid_argument", message: "request: not a valid protobuf message (premature EOF)" },
      });
    });
    it("Application/Proto with a valid message is answered in binary", async () => {
      const res = await rawRequest(`${server.url}${GET_OBJECT}`, {
        method: "POST",
        headers: { "content-type": "Application/Proto" },
        body: getProto(NON_ASCII_KEY),
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers["content-type"], "application/proto");
    });
  });

  describe("Connect GET queries", () => {
    it("base64=1 with a proto message that is not base64", async () => {
      refused(await getQuery("encoding=proto&base64=1&message=!!!!"), /^message: is not valid base64/);
    });
    it("base64=1 with a JSON message that is not base64", async () => {
      refused(await getQuery("encoding=json&base64=1&message=e30*"), /^message: is not valid base64/);
    });
    it('base64=1 with a "+" not percent-encoded (it would arrive as a space)', async () => {
      refused(await getQuery("encoding=proto&base64=1&message=EgF+"), /^message: is not valid base64/);
    });
    it("base64=1 with a dangling character (6 bits are no byte)", async () => {
      refused(
        await getQuery(`encoding=proto&base64=1&message=${base64url(getProto("k"))}A`),
        /^message: is not valid base64/,
      );
    });
    for (const query of [
      "encoding=json&message=%ZZ",
      "encoding=json&base64=1&message=%ZZ",
      "encoding=proto&message=%ZZ",
    ]) {
      it(`malformed percent-encoding: ${query}`, async () => {
        refused(await getQuery(query), /^message: is not valid percent-encoding/);
      });
    }
    it("a lone % (GET …&message=%)", async () => {
      refused(await getQuery("encoding=json&base64=1&message=%"), /^message: is not valid percent-encoding/);
    });
    it("a JSON message whose percent-decoded bytes are not UTF-8 names the JSON field", async () => {
      refused(
        await getQuery(`encoding=json&message=${encodeURIComponent('{"key":"')}%FF%FE%C3${encodeURIComponent('"}')}`),
        /^key: is not valid UTF-8$/,
      );
    });
    it("a base64 JSON message that is not UTF-8 names the JSON field", async () => {
      refused(
        await getQuery(`encoding=json&base64=1&message=${base64url(jsonWithBadBytes('{"key":"@"}'))}`),
        /^key: is not valid UTF-8$/,
      );
    });
    it("a base64 proto message with a string that is not UTF-8 names the field", async () => {
      refused(
        await getQuery(`encoding=proto&base64=1&message=${base64url(getWithBadKey)}`),
        /^key: is not valid UTF-8$/,
      );
    });
    it("a percent-encoded proto message (no base64) that is not UTF-8", async () => {
      refused(
        await getQuery("encoding=proto&message=%12%03%FF%FE%C3"),
        /^message: is not UTF-8 once percent-decoded \(send binary messages with base64=1\)$/,
      );
    });
    it("valid non-ASCII keys still work (JSON, base64 JSON, base64 proto)", async () => {
      const json = JSON.stringify({ key: NON_ASCII_KEY });
      signed(await getQuery(`encoding=json&message=${encodeURIComponent(json)}`), NON_ASCII_PATH);
      signed(await getQuery(`encoding=json&base64=1&message=${base64url(json)}`), NON_ASCII_PATH);
      const res = await rawRequest(
        `${server.url}${GET_OBJECT}?connect=v1&encoding=proto&base64=1&message=${base64url(getProto(NON_ASCII_KEY))}`,
      );
      assert.equal(res.status, 200);
    });
  });

  describe("compressed bodies that do not decompress", () => {
    const json = Buffer.from(JSON.stringify({ key: "z.txt" }));
    for (const [encoding, body] of [
      ["gzip", truncated(gzipSync(json))],
      ["gzip", Buffer.from("not gzip at all")],
      ["br", truncated(brotliCompressSync(json))],
    ] as const) {
      it(`Connect POST, content-encoding ${encoding}, ${body.byteLength} bytes`, async () => {
        refused(
          await post(GET_OBJECT, "application/json", body, { "content-encoding": encoding }),
          new RegExp(`^request: the ${encoding}-compressed message does not decompress \\(`),
        );
      });
    }
    it("gzip and br bodies that do decompress still work", async () => {
      signed(await post(GET_OBJECT, "application/json", gzipSync(json), { "content-encoding": "gzip" }), "/dev/z.txt");
      signed(
        await post(GET_OBJECT, "application/json", brotliCompressSync(json), { "content-encoding": "br" }),
        "/dev/z.txt",
      );
    });
    it("gRPC, grpc-encoding gzip, a truncated message", async () => {
      const res = await rawH2Post(
        server.url,
        GET_OBJECT,
        { "content-type": "application/grpc", te: "trailers", "grpc-encoding": "gzip" },
        grpcFrame(truncated(gzipSync(getProto("z.txt"))), 1),
      );
      assert.deepEqual(grpcStatus(res), {
        code: 3,
        message: "request: the gzip-compressed message does not decompress (unexpected end of file)",
      });
    });
  });

  describe("strings that are not UTF-8 are refused, never replaced by U+FFFD", () => {
    it("Connect JSON body, key", async () => {
      refused(
        await post(GET_OBJECT, "application/json", jsonWithBadBytes('{"key": "@"}')),
        /^key: is not valid UTF-8$/,
      );
    });
    it("Connect JSON body, metadata value", async () => {
      refused(
        await post(
          PUT_OBJECT,
          "application/json",
          jsonWithBadBytes('{"key":"k","contentLength":"1","metadata":{"owner":"@"}}'),
        ),
        /^metadata\.owner: is not valid UTF-8$/,
      );
    });
    it("Connect JSON body, a member name (also of a field the server would ignore)", async () => {
      refused(
        await post(GET_OBJECT, "application/json", jsonWithBadBytes('{"key": "k", "x@": 1}')),
        /^request body: has a member name that is not valid UTF-8$/,
      );
    });
    it("Connect JSON body, outside any string", async () => {
      refused(
        await post(GET_OBJECT, "application/json", jsonWithBadBytes('{"key": "k"@}')),
        /^request body: is not valid UTF-8$/,
      );
    });
    it("Connect JSON body with a genuine U+FFFD next to bytes that are not UTF-8", async () => {
      refused(
        await post(GET_OBJECT, "application/json", jsonWithBadBytes('{"key": "\u{fffd}", "versionId": "@"}')),
        /^request body: is not valid UTF-8$/,
      );
    });
    it("Connect binary body, key", async () => {
      refused(await post(GET_OBJECT, "application/proto", getWithBadKey), /^key: is not valid UTF-8$/);
    });
    it("Connect binary body, metadata map value", async () => {
      refused(
        await post(PUT_OBJECT, "application/proto", putWithBadMetadata),
        /^metadata\["owner"\]: is not valid UTF-8$/,
      );
    });

    for (const [name, target] of [
      ["gRPC fast path", () => server],
      ["gRPC through connect-es's adapter", () => adapterOnly],
    ] as const) {
      it(`${name}, key and metadata map value`, async () => {
        const call = (path: string, body: Buffer) =>
          rawH2Post(target().url, path, { "content-type": "application/grpc", te: "trailers" }, grpcFrame(body));
        assert.deepEqual(grpcStatus(await call(GET_OBJECT, getWithBadKey)), {
          code: 3,
          message: "key: is not valid UTF-8",
        });
        assert.deepEqual(grpcStatus(await call(PUT_OBJECT, putWithBadMetadata)), {
          code: 3,
          message: 'metadata["owner"]: is not valid UTF-8',
        });
      });
    }
    it("a streamed request message (gRPC server reflection)", async () => {
      const res = await rawH2Post(
        server.url,
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        { "content-type": "application/grpc", te: "trailers" },
        grpcFrame(Buffer.from(new BinaryWriter().tag(3, ld).bytes(NOT_UTF8).finish())), // file_by_filename
      );
      assert.deepEqual(grpcStatus(res), { code: 3, message: "file_by_filename: is not valid UTF-8" });
    });
    it("gRPC with the JSON codec (application/grpc+json)", async () => {
      const res = await rawH2Post(
        server.url,
        GET_OBJECT,
        { "content-type": "application/grpc+json", te: "trailers" },
        grpcFrame(jsonWithBadBytes('{"key": "@"}')),
      );
      assert.deepEqual(grpcStatus(res), { code: 3, message: "key: is not valid UTF-8" });
    });
    it("gRPC-Web binary, key", async () => {
      const res = await rawRequest(`${server.url}${GET_OBJECT}`, {
        method: "POST",
        headers: { "content-type": "application/grpc-web+proto", "x-grpc-web": "1" },
        body: grpcFrame(getWithBadKey),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(grpcWebStatus(res.body), { code: 3, message: "key: is not valid UTF-8" });
    });
    it("REST path", async () => {
      refused(await connect("/presign/a%FF%FEb?method=GET"), /^key: .*not valid UTF-8/);
    });
    it("REST path with malformed percent-encoding keeps its message", async () => {
      refused(await connect("/presign/a%ZZb?method=GET"), /^key: invalid percent-encoding in the path$/);
    });
    it("a genuine U+FFFD in a key is a valid key (Connect JSON)", async () => {
      signed(await post(GET_OBJECT, "application/json", '{"key": "\u{fffd}"}'), "/dev/%EF%BF%BD");
    });
  });

  describe("valid non-ASCII keys still work over every protocol", () => {
    for (const transport of ["connect", "grpc", "grpc-web"] as const) {
      it(transport, async () => {
        const client = connectPresignd({ baseUrl: server.url, transport });
        const res = await client.service.putObject({
          key: NON_ASCII_KEY,
          contentLength: 1n,
          metadata: { owner: "alice" },
        });
        assert.equal(new URL(res.url).pathname, NON_ASCII_PATH);
      });
    }
    it("Connect JSON (raw) and REST", async () => {
      signed(await post(GET_OBJECT, "application/json", JSON.stringify({ key: NON_ASCII_KEY })), NON_ASCII_PATH);
      const rest = await rawRequest(`${server.url}/presign/${encodeURI(NON_ASCII_KEY)}?method=GET`);
      assert.equal(rest.status, 200);
      assert.equal(new URL((JSON.parse(rest.body.toString()) as { URL: string }).URL).pathname, NON_ASCII_PATH);
    });
  });

  it("no garbage was logged as an error", () => {
    for (const s of [server, adapterOnly]) {
      assert.deepEqual(
        s.logs.filter((line) => (line.level as number) >= 50),
        [],
      );
    }
  });
});

/** grpc-status and the decoded grpc-message, from the trailers (or a trailers-only answer's headers). */
function grpcStatus(res: RawH2Response): { code: number; message: string } {
  const source = res.trailers["grpc-status"] === undefined ? res.headers : res.trailers;
  return {
    code: Number(source["grpc-status"]),
    message: decodeURIComponent(String(source["grpc-message"] ?? "")),
  };
}
