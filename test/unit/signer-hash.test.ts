import assert from "node:assert/strict";
import { createHash, createHmac } from "node:crypto";
import { describe, it } from "node:test";
import fc from "fast-check";
import { signerSha256 } from "../../src/core/signer-hash.js";

const credentials = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
const bytes = (text: string) => new Uint8Array(Buffer.from(text, "utf8"));
const hmac = (key: string | Uint8Array, ...chunks: Uint8Array[]) => {
  const mac = createHmac("sha256", key);
  for (const chunk of chunks) mac.update(chunk);
  return new Uint8Array(mac.digest());
};

describe("signerSha256", () => {
  const Sha256 = signerSha256(credentials);

  it("is SHA-256 without a secret and HMAC-SHA-256 with one, for any input", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.option(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 80 })), { nil: undefined }),
        fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 3 }),
        async (secret, chunks) => {
          const hash = new Sha256(secret);
          for (const chunk of chunks) hash.update(chunk);
          const expected =
            secret === undefined
              ? new Uint8Array(chunks.reduce((h, c) => h.update(c), createHash("sha256")).digest())
              : hmac(secret, ...chunks);
          assert.deepEqual(await hash.digest(), expected);
        },
      ),
    );
  });

  it("answers the SDK's cache-key HMAC(secret, access key id) correctly, also when more data follows", async () => {
    const once = new Sha256(credentials.secretAccessKey);
    once.update(bytes(credentials.accessKeyId));
    assert.deepEqual(await once.digest(), hmac(credentials.secretAccessKey, bytes(credentials.accessKeyId)));

    const more = new Sha256(credentials.secretAccessKey);
    more.update(bytes(credentials.accessKeyId));
    more.update(bytes("more"));
    assert.deepEqual(
      await more.digest(),
      hmac(credentials.secretAccessKey, bytes(credentials.accessKeyId), bytes("more")),
    );

    const twice = new Sha256(credentials.secretAccessKey);
    twice.update(bytes("x"));
    twice.update(bytes(credentials.accessKeyId));
    assert.deepEqual(
      await twice.digest(),
      hmac(credentials.secretAccessKey, bytes("x"), bytes(credentials.accessKeyId)),
    );

    const other = new Sha256("another secret");
    other.update(bytes(credentials.accessKeyId));
    assert.deepEqual(await other.digest(), hmac("another secret", bytes(credentials.accessKeyId)));

    const reset = new Sha256(credentials.secretAccessKey);
    reset.update(bytes("x"));
    reset.reset();
    reset.update(bytes(credentials.accessKeyId));
    assert.deepEqual(await reset.digest(), hmac(credentials.secretAccessKey, bytes(credentials.accessKeyId)));
  });

  it("hands out a fresh copy of the remembered digest each time", async () => {
    const first = new Sha256(credentials.secretAccessKey);
    first.update(bytes(credentials.accessKeyId));
    const digest = await first.digest();
    digest.fill(0);
    const second = new Sha256(credentials.secretAccessKey);
    second.update(bytes(credentials.accessKeyId));
    assert.deepEqual(await second.digest(), hmac(credentials.secretAccessKey, bytes(credentials.accessKeyId)));
  });
});
