import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { nodeTransport } from "../../src/cli/node-client.js";
import {
  type ServerReflectionResponse,
  ServerReflection as V1,
} from "../../src/gen/grpc/reflection/v1/reflection_pb.js";
import { ServerReflection as V1alpha } from "../../src/gen/grpc/reflection/v1alpha/reflection_pb.js";
import { PresignService } from "../../src/gen/presign/v1/presign_pb.js";
import { BUF, run } from "../support/run.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

describe("gRPC server reflection: tools need no proto files", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  for (const protocol of ["connect", "grpc", "grpcweb"]) {
    it(`buf curl --reflect --list-methods, then a call (--protocol ${protocol})`, async () => {
      const list = await run(BUF, [
        "curl",
        "--protocol",
        protocol,
        "--http2-prior-knowledge",
        "--reflect",
        "--list-methods",
        server.url,
      ]);
      assert.equal(list.code, 0, list.stderr);
      assert.deepEqual(list.stdout.toString().trim().split("\n"), [
        "grpc.health.v1.Health/Check",
        "grpc.health.v1.Health/Watch",
        "grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        // Every method of the contract, as buf curl lists them (sorted).
        ...PresignService.methods.map((m) => `${PresignService.typeName}/${m.name}`).sort(),
      ]);
      const call = await run(BUF, [
        "curl",
        "--protocol",
        protocol,
        "--http2-prior-knowledge",
        "--reflect",
        "-d",
        '{"key":"reflected.txt","contentLength":"3"}',
        `${server.url}/presign.v1.PresignService/PutObject`,
      ]);
      assert.equal(call.code, 0, call.stderr);
      assert.deepEqual((JSON.parse(call.stdout.toString()) as { headers: unknown }).headers, { "content-length": "3" });
    });
  }

  for (const [name, service] of [
    ["v1", V1],
    ["v1alpha", V1alpha],
  ] as const) {
    it(`${name}: files with dependencies, and errors in the stream for unknown symbols`, async () => {
      const client = createClient(service as typeof V1, nodeTransport({ baseUrl: server.url, transport: "grpc" }));
      const answers: ServerReflectionResponse[] = [];
      for await (const answer of client.serverReflectionInfo(
        (async function* () {
          yield { messageRequest: { case: "fileContainingSymbol" as const, value: "presign.v1.PresignService" } };
          yield { messageRequest: { case: "fileContainingSymbol" as const, value: "presign.v1.PresignedRequest" } };
          yield { messageRequest: { case: "fileByFilename" as const, value: "google/protobuf/duration.proto" } };
          yield { messageRequest: { case: "fileContainingSymbol" as const, value: "no.such.Symbol" } };
          yield {
            messageRequest: { case: "allExtensionNumbersOfType" as const, value: "presign.v1.GetObjectRequest" },
          };
        })(),
      )) {
        answers.push(answer);
      }
      assert.equal(answers.length, 5);
      const files = (i: number) => {
        const r = answers[i]?.messageResponse;
        assert.equal(r?.case, "fileDescriptorResponse");
        return r.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name);
      };
      assert.deepEqual(files(0), [
        "presign/v1/presign.proto",
        "buf/validate/validate.proto",
        "google/protobuf/descriptor.proto",
        "google/protobuf/duration.proto",
        "google/protobuf/field_mask.proto",
        "google/protobuf/timestamp.proto",
        "google/protobuf/wrappers.proto",
      ]);
      assert.deepEqual(files(1), files(0));
      assert.deepEqual(files(2), ["google/protobuf/duration.proto"]);
      const error = answers[3]?.messageResponse;
      assert.ok(error?.case === "errorResponse");
      assert.equal(error.value.errorCode, 5);
      assert.equal(error.value.errorMessage, "symbol not found: no.such.Symbol");
      const ext = answers[4]?.messageResponse;
      assert.ok(ext?.case === "allExtensionNumbersResponse");
      assert.deepEqual(ext.value.extensionNumber, []);
    });
  }

  it("@grpc/grpc-js calls GetObject with descriptors fetched by reflection (loaded by @grpc/proto-loader)", async () => {
    const client = createClient(V1, nodeTransport({ baseUrl: server.url, transport: "grpc" }));
    const protos = [];
    for await (const answer of client.serverReflectionInfo(
      (async function* () {
        yield { messageRequest: { case: "fileContainingSymbol" as const, value: "presign.v1.PresignService" } };
      })(),
    )) {
      if (answer.messageResponse.case === "fileDescriptorResponse") {
        protos.push(
          ...answer.messageResponse.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b)),
        );
      }
    }
    const set = create(FileDescriptorSetSchema, { file: protos });
    const definition = protoLoader.loadFileDescriptorSetFromBuffer(
      Buffer.from(toBinary(FileDescriptorSetSchema, set)),
      {
        longs: String,
      },
    );
    const pkg = grpc.loadPackageDefinition(definition) as unknown as {
      presign: { v1: { PresignService: new (address: string, creds: grpc.ChannelCredentials) => grpc.Client } };
    };
    const stub = new pkg.presign.v1.PresignService(
      new URL(server.url).host,
      grpc.credentials.createInsecure(),
    ) as grpc.Client &
      Record<
        string,
        (req: unknown, cb: (e: grpc.ServiceError | null, r?: { url: string; method: string }) => void) => void
      >;
    try {
      const res = await new Promise<{ url: string; method: string }>((resolve, reject) =>
        stub.GetObject?.({ key: "via/reflection.txt" }, (e, r) =>
          e ? reject(e) : resolve(r as { url: string; method: string }),
        ),
      );
      assert.equal(res.method, "GET");
      assert.match(res.url, /\/dev\/via\/reflection\.txt\?/);
    } finally {
      stub.close();
    }
  });
});
