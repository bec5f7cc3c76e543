import assert from "node:assert/strict";
import { describe, it } from "node:test";

// What `import … from "@presignd/client"` and "@presignd/client/node" resolve
// to for users: the package's built dist/.
const UNIVERSAL = [
  "Code",
  "ConnectError",
  "InvalidOptionError",
  "PresignClientError",
  "PresignService",
  "RpcError",
  "S3Error",
  "TransferAbortedError",
  "TransferError",
  "TransferTimeoutError",
  "createPresignClient",
  "fillFilename",
  "indexedDbStateStore",
  "isAbortError",
  "isInvalidOptionError",
  "isPresignClientError",
  "isRpcError",
  "isS3Error",
  "isTimeoutError",
  "isTransferError",
  "localStorageStateStore",
  "memoryStateStore",
  "redactUrl",
];

describe('the package entries "@presignd/client" and "@presignd/client/node"', () => {
  it("the universal entry exports the client, the errors and their guards, the state stores and the service", async () => {
    const entry = (await import("@presignd/client")) as Record<string, unknown>;
    assert.deepEqual(Object.keys(entry).sort(), UNIVERSAL);
    assert.equal((entry.PresignService as { typeName: string }).typeName, "presign.v1.PresignService");
  });

  it("the Node entry adds the file state store and partial-file names, and its own createPresignClient", async () => {
    const universal = (await import("@presignd/client")) as Record<string, unknown>;
    const node = (await import("@presignd/client/node")) as Record<string, unknown>;
    assert.deepEqual(
      Object.keys(node).sort(),
      [...UNIVERSAL, "PARTIAL_SUFFIX", "fileStateStore", "partialFiles"].sort(),
    );
    assert.notEqual(node.createPresignClient, universal.createPresignClient);
    // One copy of the errors: what the Node client throws is the universal entry's class.
    assert.equal(node.S3Error, universal.S3Error);
  });
});
