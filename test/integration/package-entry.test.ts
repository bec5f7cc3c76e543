import assert from "node:assert/strict";
import { describe, it } from "node:test";

// What `import … from "@presignd/client"` resolves to for users: the workspace package's built dist/.
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
  it("the universal entry exports the client, the errors and guards, the state stores and the service", async () => {
    const entry = (await import("@presignd/client")) as Record<string, unknown>;
    assert.deepEqual(Object.keys(entry).sort(), UNIVERSAL);
    assert.equal((entry.PresignService as { typeName: string }).typeName, "presign.v1.PresignService");
  });

  it("the Node entry adds the file state store and partial-file names, and drops the browser-only stores", async () => {
    const entry = (await import("@presignd/client/node")) as Record<string, unknown>;
    const expected = [
      ...UNIVERSAL.filter((name) => name !== "indexedDbStateStore" && name !== "localStorageStateStore"),
      "PARTIAL_SUFFIX",
      "fileStateStore",
      "partialFiles",
    ].sort();
    assert.deepEqual(Object.keys(entry).sort(), expected);
  });

  it("one class per error, shared by both entries (an error from one passes the other's instanceof)", async () => {
    const universal = (await import("@presignd/client")) as Record<string, unknown>;
    const node = (await import("@presignd/client/node")) as Record<string, unknown>;
    assert.equal(universal.S3Error, node.S3Error);
  });
});
