import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { errorFromJsonBytes } from "@connectrpc/connect/protocol-connect";
import { findTrailerError } from "@connectrpc/connect/protocol-grpc";
import { trailerFlag, trailerParse } from "@connectrpc/connect/protocol-grpc-web";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { GetObjectRequestSchema } from "../../src/gen/presign/v1/presign_pb.js";
import { type CurlResponse, curl } from "../support/curl.js";
import { grpcFrame } from "../support/h2-raw.js";
import { homePolicy, KEYS, writePolicy } from "../support/policy.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

type Header = readonly [string, string];
const KEY = "users/alice/a.txt";
const GET_OBJECT = "/presign.v1.PresignService/GetObject";
const message = () => grpcFrame(toBinary(GetObjectRequestSchema, create(GetObjectRequestSchema, { key: KEY })));

/** What a call came to: "ok", or the refusal. */
type Outcome = "ok" | ConnectError;

/** Every way presignd is called, each sent by curl, which sends repeated header fields as given. */
const protocols: readonly {
  readonly name: string;
  readonly fastPath?: false;
  readonly call: (url: string, credentials: readonly Header[]) => Promise<Outcome>;
}[] = [
  ...[false, true].map((http2) => ({
    name: `Connect JSON over HTTP/${http2 ? "2" : "1.1"}`,
    call: async (url: string, credentials: readonly Header[]) =>
      connectOutcome(
        await curl(`${url}${GET_OBJECT}`, {
          http2,
          headers: [["content-type", "application/json"], ...credentials],
          body: JSON.stringify({ key: KEY }),
        }),
      ),
  })),
  ...[true, false].map((fastPath) => ({
    name: `gRPC (${fastPath ? "fast path" : "connect-es adapter"})`,
    ...(fastPath ? {} : { fastPath: false as const }),
    call: async (url: string, credentials: readonly Header[]) => {
      const res = await curl(`${url}${GET_OBJECT}`, {
        http2: true,
        headers: [["content-type", "application/grpc"], ["te", "trailers"], ...credentials],
        body: message(),
      });
      return (
        findTrailerError(new Headers({ ...res.headers, ...res.trailers })) ??
        (res.trailers["grpc-status"] === "0" ? "ok" : assert.fail(`no grpc-status: ${JSON.stringify(res)}`))
      );
    },
  })),
  {
    name: "gRPC-Web",
    call: async (url, credentials) => {
      const res = await curl(`${url}${GET_OBJECT}`, {
        headers: [["content-type", "application/grpc-web+proto"], ["x-grpc-web", "1"], ...credentials],
        body: message(),
      });
      return grpcWebOutcome(res);
    },
  },
  ...[false, true].map((http2) => ({
    name: `REST GET /presign/<key> over HTTP/${http2 ? "2" : "1.1"}`,
    call: async (url: string, credentials: readonly Header[]) =>
      connectOutcome(await curl(`${url}/presign/${KEY}?method=GET`, { http2, headers: credentials })),
  })),
];

const ALICE_BEARER: Header = ["authorization", `Bearer ${KEYS.alice}`];
const BOB_BEARER: Header = ["authorization", `Bearer ${KEYS.bob}`];
const ALICE_KEY: Header = ["x-api-key", KEYS.alice];
const BOB_KEY: Header = ["x-api-key", KEYS.bob];

const ambiguous: readonly [string, readonly Header[], RegExp][] = [
  ["two Authorization values", [ALICE_BEARER, BOB_BEARER], /^ambiguous credentials: two Authorization headers were/],
  ["two equal Authorization values", [ALICE_BEARER, ALICE_BEARER], /^ambiguous credentials: two Authorization headers/],
  ["two x-api-key values", [ALICE_KEY, BOB_KEY], /^ambiguous credentials: two x-api-key headers were/],
  [
    "Authorization and x-api-key that disagree",
    [BOB_BEARER, ALICE_KEY],
    /^ambiguous credentials: an Authorization header and an x-api-key header were sent; send only one/,
  ],
  [
    "Authorization and x-api-key that agree",
    [ALICE_BEARER, ALICE_KEY],
    /^ambiguous credentials: an Authorization header and an x-api-key header were sent/,
  ],
  [
    "three credential headers",
    [ALICE_BEARER, ALICE_KEY, BOB_KEY],
    /^ambiguous credentials: an Authorization header and two x-api-key headers were sent/,
  ],
];

describe("a request presenting more than one credential is UNAUTHENTICATED on every protocol", () => {
  const servers = new Map<boolean, TestServer>();
  const url = (fastPath: boolean) => (servers.get(fastPath) ?? assert.fail("server not started")).url;
  before(async () => {
    const policy = await writePolicy(homePolicy());
    servers.set(true, await startTestServer({ policy }));
    servers.set(false, await startTestServer({ policy }, { rpcAdapter: connectNodeAdapter }));
  });
  after(async () => {
    for (const server of servers.values()) await server.close();
  });

  for (const protocol of protocols) {
    describe(protocol.name, () => {
      const call = (credentials: readonly Header[]) => protocol.call(url(protocol.fastPath ?? true), credentials);

      it("one credential is accepted (Authorization, or x-api-key)", async () => {
        assert.equal(await call([ALICE_BEARER]), "ok");
        assert.equal(await call([ALICE_KEY]), "ok");
      });

      for (const [name, credentials, expected] of ambiguous) {
        it(name, async () => {
          const outcome = await call(credentials);
          assert.ok(outcome instanceof ConnectError, `accepted: ${name}`);
          assert.equal(Code[outcome.code], Code[Code.Unauthenticated], outcome.rawMessage);
          assert.match(outcome.rawMessage, expected);
        });
      }
    });
  }

  describe("@grpc/grpc-js metadata (a real grpc-status from the server)", () => {
    for (const fastPath of [true, false]) {
      it(`two x-api-key values, and Authorization plus x-api-key (${fastPath ? "fast path" : "adapter"})`, async () => {
        for (const [credentials, expected] of [
          [[ALICE_KEY, BOB_KEY], /^ambiguous credentials: two x-api-key headers were sent/],
          [[ALICE_BEARER, ALICE_KEY], /^ambiguous credentials: an Authorization header and an x-api-key header/],
        ] as const) {
          const status = await grpcJsCall(url(fastPath), credentials);
          assert.equal(status.code, grpc.status.UNAUTHENTICATED, status.details);
          assert.match(status.details, expected);
          assert.equal(status.metadata.get("grpc-status").length, 0, "grpc-status is a trailer, not metadata");
        }
        assert.equal((await grpcJsCall(url(fastPath), [ALICE_KEY])).code, grpc.status.OK);
      });
    }

    it("grpc-js itself refuses two Authorization values, before sending anything", async () => {
      // This is why such a call "answered with no grpc-status": the status is grpc-js's own.
      const server = servers.get(true) ?? assert.fail("server not started");
      const before = server.logs.filter((line) => line.msg === "rpc").length;
      const status = await grpcJsCall(server.url, [ALICE_BEARER, BOB_BEARER]);
      assert.equal(status.code, grpc.status.INTERNAL);
      assert.equal(status.details, '"authorization" metadata cannot have multiple values');
      assert.equal(server.logs.filter((line) => line.msg === "rpc").length, before, "the server saw no call");
    });
  });
});

/** Connect and the REST shape: 200, or the JSON error with its HTTP status. */
function connectOutcome(res: CurlResponse): Outcome {
  if (res.status === 200) return "ok";
  return errorFromJsonBytes(res.body, undefined, new ConnectError(`HTTP ${res.status}: ${res.body}`));
}

/** gRPC-Web: the status in the headers (trailers-only), else in the trailer frame ending the body. */
function grpcWebOutcome(res: CurlResponse): Outcome {
  let trailer = new Headers(res.headers);
  for (let at = 0; at + 5 <= res.body.byteLength; ) {
    const length = res.body.readUInt32BE(at + 1);
    if ((res.body[at] ?? 0) & trailerFlag) trailer = trailerParse(res.body.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  const error = findTrailerError(trailer);
  if (error) return error;
  assert.equal(trailer.get("grpc-status"), "0", `no grpc-status: ${JSON.stringify(res.headers)}`);
  return "ok";
}

function grpcJsCall(url: string, credentials: readonly Header[]): Promise<grpc.StatusObject> {
  const client = new grpc.Client(new URL(url).host, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  for (const [name, value] of credentials) metadata.add(name, value);
  return new Promise((resolve) => {
    const call = client.makeUnaryRequest(
      GET_OBJECT,
      (b: Buffer) => b,
      (b: Buffer) => b,
      message().subarray(5),
      metadata,
      () => {},
    );
    call.on("status", (status: grpc.StatusObject) => {
      client.close();
      resolve(status);
    });
  });
}
