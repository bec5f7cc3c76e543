import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isInvalidOptionError, isS3Error } from "@presignd/client/node";
import { Operation } from "../../src/gen/presign/v1/presign_pb.js";
import { refusal } from "../support/refusal.js";
import { serverForSuite } from "../support/test-server.js";

// The client's headObject and deleteObject, through the embedded S3.
describe("client headObject and deleteObject", () => {
  const suite = serverForSuite();

  it("headObject answers size, type, ETag, last-modified and metadata", async () => {
    const put = await suite.client.upload("obj/a.txt", new TextEncoder().encode("hello"), {
      params: { contentType: "text/plain", metadata: { owner: "alice", "trace-id": "t1" } },
    });
    const head = await suite.client.headObject("obj/a.txt");
    assert.equal(head.size, 5);
    assert.equal(head.contentType, "text/plain");
    assert.equal(head.etag, put.etag);
    assert.deepEqual(head.metadata, { owner: "alice", "trace-id": "t1" });
    assert.ok(head.lastModified instanceof Date && Math.abs(head.lastModified.getTime() - Date.now()) < 60_000);
  });

  it("deleteObject deletes; headObject of a missing key is S3Error 404", async () => {
    await suite.client.upload("obj/b.txt", new TextEncoder().encode("b"));
    await suite.client.deleteObject("obj/b.txt");
    const error = await suite.client.headObject("obj/b.txt").then(
      () => assert.fail("headObject of a deleted key resolved"),
      (e: unknown) => e,
    );
    assert.ok(isS3Error(error), String(error));
    assert.equal(error.status, 404);
  });

  it("both take a handle that carries their operation", async () => {
    await suite.client.upload("obj/h.txt", new TextEncoder().encode("hh"));
    const { handle } = await suite.client.service.createHandle({
      key: "obj/h.txt",
      operations: [Operation.HEAD, Operation.DELETE],
    });
    assert.equal((await suite.client.headObject({ handle })).size, 2);
    await suite.client.deleteObject({ handle });
    assert.equal(
      (await refusal(suite.client.service.getObject({ handle }))).rawMessage,
      "permission denied: the handle does not allow get",
    );
  });

  it("refuses options that cannot work before sending anything", async () => {
    for (const [call, option] of [
      [() => suite.client.headObject("k", { params: { expiresIn: 0 } }), "params.expiresIn"],
      [() => suite.client.deleteObject("k", { retries: -1 }), "retries"],
      [() => suite.client.headObject({ keyPrefix: "p/" } as unknown as string), "key"],
      [() => suite.client.deleteObject(""), "key"],
    ] as const) {
      const error = await call().then(
        () => assert.fail(`${option} was accepted`),
        (e: unknown) => e,
      );
      assert.ok(isInvalidOptionError(error), String(error));
      assert.equal(error.option, option);
    }
  });
});
