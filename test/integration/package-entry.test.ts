import assert from "node:assert/strict";
import { describe, it } from "node:test";

// What `import … from "presignd/client"` resolves to for users: the built dist/.
describe('the package entry "presignd/client"', () => {
  it("exports the client, the error type and the service descriptor", async () => {
    const entry = (await import("presignd/client")) as Record<string, unknown>;
    assert.deepEqual(Object.keys(entry).sort(), [
      "DEFAULT_MULTIPART_THRESHOLD",
      "PresignService",
      "S3Error",
      "createPresignClient",
      "createTransport",
      "downloadPresigned",
      "downloadRanged",
      "uploadMultipart",
      "uploadPresigned",
    ]);
    assert.equal((entry.PresignService as { typeName: string }).typeName, "presign.v1.PresignService");
  });
});
