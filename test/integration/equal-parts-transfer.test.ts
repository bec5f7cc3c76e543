import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import { describe, it } from "node:test";
import type { Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { createPresignClient, isTransferError } from "@presignd/client/node";
import type { CreateMultipartUploadResponse, PresignUploadPartsRequest } from "../../src/gen/presign/v1/presign_pb.js";
import { serverForSuite } from "../support/test-server.js";

const MiB = 1024 * 1024;

describe("equal parts (--provider r2 against the embedded S3): the client cuts what R2 accepts", () => {
  const suite = serverForSuite({ logLevel: "warn", provider: "r2" });

  /** A client that records every part length it asks presignd to sign, and each upload's equal_parts. */
  function recordingClient(alter?: (answer: CreateMultipartUploadResponse) => void) {
    const lengths: number[] = [];
    const equal: boolean[] = [];
    const recorder: Interceptor = (next) => async (request) => {
      if (request.method.name === "PresignUploadParts") {
        for (const part of (request.message as PresignUploadPartsRequest).parts)
          lengths.push(Number(part.contentLength));
      }
      const response = await next(request);
      if (request.method.name === "CreateMultipartUpload" && !response.stream) {
        const answer = response.message as CreateMultipartUploadResponse;
        equal.push(answer.equalParts);
        alter?.(answer);
      }
      return response;
    };
    const client = createPresignClient({
      transport: createConnectTransport({ baseUrl: suite.server.url, httpVersion: "1.1", interceptors: [recorder] }),
    });
    return { client, lengths, equal };
  }

  it("a file and an unevenly chunked stream go up in parts of exactly part_size, but the last", async () => {
    const data = randomBytes(17 * MiB + 4321);
    const { client, lengths, equal } = recordingClient();
    const file = await client.upload("eq/file.bin", data, { multipartThreshold: MiB, partSize: 5 * MiB });
    assert.equal(file.parts, 4);
    const chunks = function* () {
      for (let at = 0; at < data.length; at += 999_983) yield data.subarray(at, Math.min(at + 999_983, data.length));
    };
    const stream = await client.upload("eq/stream.bin", Readable.from(chunks()), { partSize: 5 * MiB });
    assert.equal(stream.parts, 4);
    assert.deepEqual(equal, [true, true]);
    const tail = data.length - 15 * MiB;
    assert.deepEqual(
      lengths.sort((a, b) => a - b),
      [tail, tail, ...Array(6).fill(5 * MiB)],
    );
    const got = await fetch((await client.service.getObject({ key: "eq/stream.bin" })).url);
    assert.ok(Buffer.from(await got.arrayBuffer()).equals(data));
  });

  it("a stream cut in other parts than presignd answers is refused before any byte goes up", async () => {
    const { client, lengths } = recordingClient((answer) => {
      answer.partSize = BigInt(6 * MiB);
    });
    const error = await client
      .upload("eq/mismatch.bin", Readable.from([randomBytes(11 * MiB)]), { partSize: 5 * MiB })
      .then(
        () => assert.fail("expected the upload to fail"),
        (e: unknown) => e,
      );
    assert.ok(isTransferError(error), String(error));
    assert.equal(
      (error as Error).message,
      "presignd chose part_size 6291456 for a stream cut in parts of 5242880 bytes, and the bucket's store needs every part but the last to be exactly part_size",
    );
    assert.deepEqual(lengths, []);
  });
});
