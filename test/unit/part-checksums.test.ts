import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { BucketEndpoint } from "../../src/core/bucket-endpoint.js";
import { DEFAULT_TTL_POLICY } from "../../src/core/expiry.js";
import { CHECKSUM_SPECS, partChecksumHeader } from "../../src/core/part-checksum.js";
import { PresignError } from "../../src/core/presign-error.js";
import { planParts, presignUploadPart, type UploadTarget } from "../../src/core/presign-multipart.js";
import { createPresigner, type SigningContext } from "../../src/core/signer.js";
import {
  checkOneChecksumPerPart,
  checkStoreRequest,
  type Provider,
  storeProfile,
} from "../../src/core/store-profile.js";
import { crc32cBase64 } from "../support/checksums.js";

const endpoint: BucketEndpoint = {
  bucket: "b",
  region: "eu-west-1",
  protocol: "https:",
  hostname: "b.s3.eu-west-1.amazonaws.com",
  pathPrefix: "",
};
const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" };
const ctx: SigningContext = {
  presigner: createPresigner(credentials),
  credentials,
  now: new Date("2026-01-01T00:00:00Z"),
  ttl: DEFAULT_TTL_POLICY,
};
const layout = planParts(20 * 1024 * 1024, 5 * 1024 * 1024);
const upload = (checksumAlgorithm?: "crc32c" | "sha256"): UploadTarget => ({
  key: "k",
  uploadId: "up-1",
  ...(checksumAlgorithm ? { checksumAlgorithm } : {}),
});
// RFC 3720 (iSCSI) B.4: CRC32C of 32 zero bytes is 0x8A9136AA.
const ZEROS_CRC32C = "ipE2qg==";
const ZEROS_SHA256 = "Zmh6rfhivXdsj8GLjp+OIAiXFIVu4jOzkCpZHQ1fKSU=";

const sign = (target: UploadTarget, checksum: string, contentLength = 32) =>
  presignUploadPart(
    endpoint,
    target,
    layout,
    { partNumber: 1, contentLength, checksum, field: "parts[0]" },
    undefined,
    ctx,
  );

function refusal(fn: () => unknown): { reason: string; message: string; field?: string } {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof PresignError, String(error));
    return { reason: error.reason, message: error.message, ...(error.field ? { field: error.field } : {}) };
  }
  assert.fail("expected a refusal");
}

describe("per-part checksums: the core signs the part's checksum", () => {
  it("the known vector: @aws-crypto/crc32c gives RFC 3720's CRC32C of 32 zero bytes", () => {
    assert.equal(crc32cBase64(new Uint8Array(32)), ZEROS_CRC32C);
  });

  for (const [algorithm, value] of [
    ["crc32c", ZEROS_CRC32C],
    ["sha256", ZEROS_SHA256],
  ] as const) {
    it(`${algorithm}: the part's PUT signs ${CHECKSUM_SPECS[algorithm].header} with exactly the value`, async () => {
      const signed = await sign(upload(algorithm), value);
      const header = CHECKSUM_SPECS[algorithm].header;
      assert.equal(signed.headers[header], value);
      const url = new URL(signed.url);
      assert.deepEqual(url.searchParams.get("X-Amz-SignedHeaders")?.split(";"), ["content-length", "host", header]);
      assert.equal(url.searchParams.get("partNumber"), "1");
      // No x-amz-sdk-checksum-algorithm: S3 does not need it beside the checksum header.
      assert.equal(signed.headers["x-amz-sdk-checksum-algorithm"], undefined);
      // The signature binds the value: another checksum, another signature.
      const other = await sign(
        upload(algorithm),
        algorithm === "crc32c" ? "AAAAAA==" : Buffer.alloc(32).toString("base64"),
      );
      assert.notEqual(new URL(other.url).searchParams.get("X-Amz-Signature"), url.searchParams.get("X-Amz-Signature"));
    });
  }

  it("an upload without an algorithm signs no checksum header", async () => {
    const signed = await sign(upload(), "");
    assert.deepEqual(Object.keys(signed.headers), ["content-length"]);
  });

  it("refuses a missing, malformed or unexpected checksum, naming the field", () => {
    assert.deepEqual(
      refusal(() => partChecksumHeader("crc32c", "", "parts[3].checksum")),
      {
        reason: "invalid_argument",
        message: "parts[3].checksum: is required: the upload was created with checksum_algorithm CRC32C",
        field: "parts[3].checksum",
      },
    );
    // A SHA-256 where a CRC32C belongs: the wrong length.
    assert.deepEqual(
      refusal(() => partChecksumHeader("crc32c", ZEROS_SHA256, "parts[0].checksum")),
      {
        reason: "invalid_argument",
        message: "parts[0].checksum: must be the base64 of the part's 4-byte CRC32C (8 characters)",
        field: "parts[0].checksum",
      },
    );
    assert.deepEqual(
      refusal(() => partChecksumHeader("sha256", ZEROS_CRC32C, "parts[1].checksum")),
      {
        reason: "invalid_argument",
        message: "parts[1].checksum: must be the base64 of the part's 32-byte SHA-256 (44 characters)",
        field: "parts[1].checksum",
      },
    );
    for (const bad of ["ipE2qg", "ipE2qg=", "ipE2q!==", "ipE2qg== ", "ipE2qh=="]) {
      assert.equal(refusal(() => partChecksumHeader("crc32c", bad, "c")).field, "c", bad);
    }
    assert.deepEqual(
      refusal(() => partChecksumHeader(undefined, ZEROS_CRC32C, "parts[0].checksum")),
      {
        reason: "invalid_argument",
        message: "parts[0].checksum: the upload was created without checksum_algorithm; send none",
        field: "parts[0].checksum",
      },
    );
  });

  it("the part's own checks come first: a bad checksum of a valid part is refused by presignUploadPart", () => {
    assert.throws(
      () => sign(upload("crc32c"), "AAAA"),
      (e: unknown) => e instanceof PresignError && e.field === "parts[0].checksum",
    );
  });
});

describe("per-part checksums: store profiles", () => {
  const create = (provider: Provider, checksumAlgorithm: string) => () =>
    checkStoreRequest(storeProfile(provider), {
      rpc: "CreateMultipartUpload",
      contentType: "text/plain",
      checksumAlgorithm,
    });

  it("B2, Google Cloud Storage and Spaces refuse checksum_algorithm, naming the store", () => {
    assert.deepEqual(refusal(create("b2", "crc32c")), {
      reason: "failed_precondition",
      message: "checksum_algorithm: Backblaze B2 rejects x-amz-checksum-* headers; use content_md5",
      field: "checksum_algorithm",
    });
    assert.match(refusal(create("gcs", "sha256")).message, /^checksum_algorithm: Google Cloud Storage does not verify/);
    assert.match(refusal(create("spaces", "crc32c")).message, /^checksum_algorithm: DigitalOcean Spaces fails uploads/);
  });

  it("Ceph RGW (16) refuses it, as it refuses checksum_sha256: it would verify nothing", () => {
    assert.deepEqual(refusal(create("ceph", "crc32c")), {
      reason: "failed_precondition",
      message:
        "checksum_algorithm: Ceph RGW (RGW 16) stores and verifies no part checksums, so signed x-amz-checksum-* headers would not be verified; use content_md5 per part",
      field: "checksum_algorithm",
    });
  });

  it("AWS, R2 (composite CRC32C and SHA-256), MinIO, Wasabi and generic accept it", () => {
    for (const provider of ["aws", "r2", "minio", "wasabi", "generic"] as const) {
      for (const algorithm of ["crc32c", "sha256"]) create(provider, algorithm)();
    }
    // Without checksums nothing changes on the refusing stores.
    create("b2", "")();
  });

  it("R2: a part carries content_md5 or its checksum, not both", () => {
    const both = [
      { contentMd5: "", checksum: ZEROS_CRC32C },
      { contentMd5: "1B2M2Y8AsgTpgAmY7PhCfg==", checksum: ZEROS_CRC32C },
    ];
    assert.deepEqual(
      refusal(() => checkOneChecksumPerPart(storeProfile("r2"), both)),
      {
        reason: "failed_precondition",
        message:
          "parts[1].checksum: Cloudflare R2 accepts one checksum per request; send content_md5 or checksum, not both",
        field: "parts[1].checksum",
      },
    );
    checkOneChecksumPerPart(storeProfile("aws"), both);
  });
});
