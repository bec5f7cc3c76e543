import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { describe, it } from "node:test";
import { PresignError } from "../../src/core/presign-error.js";
import {
  checkEqualParts,
  checkStoreRequest,
  checkStoreSettings,
  defaultRegion,
  detectProvider,
  PROVIDERS,
  type Provider,
  type StoreRequest,
  storeProfile,
} from "../../src/core/store-profile.js";
import { parseServeOptions, type RawServeOptions } from "../../src/server/config/config.js";
import { configFromLayers, envValues } from "../../src/server/config/layers.js";
import { SERVE_DEFAULTS } from "../support/serve-options.js";

const put = (fields: Partial<Omit<Extract<StoreRequest, { rpc: "PutObject" }>, "rpc">> = {}): StoreRequest => ({
  rpc: "PutObject",
  contentType: "text/plain",
  contentMd5: "",
  checksumSha256: "",
  ...fields,
});
const post = (contentType = "text/plain"): StoreRequest => ({ rpc: "PostPolicy", contentType });
const multipart = (contentType = "text/plain", checksumAlgorithm = ""): StoreRequest => ({
  rpc: "CreateMultipartUpload",
  contentType,
  checksumAlgorithm,
});

/** The refusal of a request by a store: its message and field; undefined when it is signed. */
function refusalOf(provider: Provider, request: StoreRequest): { message: string; field?: string } | undefined {
  try {
    checkStoreRequest(storeProfile(provider), request);
    return undefined;
  } catch (error) {
    assert.ok(error instanceof PresignError);
    assert.equal(error.reason, "failed_precondition");
    return { message: error.message, ...(error.field ? { field: error.field } : {}) };
  }
}

describe("store profiles: what each store gets signed, and what it refuses", () => {
  it("AWS, MinIO, Wasabi and generic sign everything presignd signs", () => {
    for (const provider of ["aws", "minio", "wasabi", "generic"] as const) {
      for (const request of [
        { rpc: "GetObject" } as const,
        put({ contentMd5: "m", checksumSha256: "s" }),
        put({ contentType: "" }),
        post(""),
        multipart(""),
      ]) {
        assert.equal(refusalOf(provider, request), undefined, `${provider} ${request.rpc}`);
      }
    }
  });

  it("R2: no POST Object, one checksum per request, equal parts", () => {
    assert.deepEqual(refusalOf("r2", post()), {
      message: "PostPolicy: Cloudflare R2 does not implement POST Object; use PutObject",
    });
    assert.equal(refusalOf("r2", put({ checksumSha256: "s" })), undefined);
    assert.equal(refusalOf("r2", put({ contentMd5: "m" })), undefined);
    assert.deepEqual(refusalOf("r2", put({ contentMd5: "m", checksumSha256: "s" })), {
      message:
        "checksum_sha256: Cloudflare R2 accepts one checksum per request; send content_md5 or checksum_sha256, not both",
      field: "checksum_sha256",
    });
    assert.equal(refusalOf("r2", multipart("")), undefined);
    assert.equal(storeProfile("r2").equalParts, true);
  });

  it("B2: no POST Object, no x-amz-checksum-*; Content-MD5 is fine", () => {
    assert.deepEqual(refusalOf("b2", post()), {
      message: "PostPolicy: Backblaze B2 does not implement POST Object; use PutObject",
    });
    assert.deepEqual(refusalOf("b2", put({ checksumSha256: "s" })), {
      message: "checksum_sha256: Backblaze B2 rejects x-amz-checksum-* headers; use content_md5",
      field: "checksum_sha256",
    });
    assert.equal(refusalOf("b2", put({ contentMd5: "m" })), undefined);
  });

  it("Spaces: no x-amz-checksum-*; POST is fine", () => {
    assert.deepEqual(refusalOf("spaces", put({ checksumSha256: "s" })), {
      message:
        "checksum_sha256: DigitalOcean Spaces fails uploads that carry x-amz-checksum-* headers; use content_md5",
      field: "checksum_sha256",
    });
    assert.equal(refusalOf("spaces", post()), undefined);
    assert.equal(refusalOf("spaces", put({ contentMd5: "m" })), undefined);
  });

  it("GCS: every upload names its Content-Type; no x-amz-checksum-*", () => {
    for (const request of [put({ contentType: "" }), multipart("")]) {
      assert.deepEqual(refusalOf("gcs", request), {
        message: "content_type: Google Cloud Storage needs an explicit Content-Type on uploads; set content_type",
        field: "content_type",
      });
    }
    assert.deepEqual(refusalOf("gcs", post("")), {
      message:
        "content_type: Google Cloud Storage needs an explicit Content-Type on uploads; set content_type (or content_type_prefix)",
      field: "content_type",
    });
    assert.equal(refusalOf("gcs", put()), undefined);
    assert.equal(refusalOf("gcs", post("image/")), undefined);
    assert.equal(refusalOf("gcs", { rpc: "GetObject" }), undefined);
    assert.equal(refusalOf("gcs", put({ checksumSha256: "s" }))?.field, "checksum_sha256");
  });

  it("Ceph RGW: a checksum it would not verify is refused; the rest is signed", () => {
    assert.deepEqual(refusalOf("ceph", put({ checksumSha256: "s" })), {
      message:
        "checksum_sha256: Ceph RGW (RGW 16) stores no body checksum, so a signed x-amz-checksum-sha256 would not be verified; use content_md5",
      field: "checksum_sha256",
    });
    assert.equal(refusalOf("ceph", post("")), undefined);
    assert.equal(refusalOf("ceph", put({ contentMd5: "m", contentType: "" })), undefined);
  });

  it("every profile: a name for messages, SigV4's 7 days at most, an addressing style", () => {
    for (const provider of PROVIDERS) {
      const profile = storeProfile(provider);
      assert.equal(profile.provider, provider);
      assert.ok(profile.describe.length > 0);
      assert.ok(profile.maxTtlSeconds > 0 && profile.maxTtlSeconds <= 7 * 86400);
    }
    assert.equal(storeProfile("minio").addressing, "path");
    assert.equal(storeProfile("ceph").addressing, "path");
    assert.equal(storeProfile("aws").addressing, "virtual");
  });
});

describe("store detection from the endpoint host", () => {
  it("names the store of an unambiguous host", () => {
    const cases: [string, Provider][] = [
      ["abc123.r2.cloudflarestorage.com", "r2"],
      ["abc123.eu.r2.cloudflarestorage.com", "r2"],
      ["nyc3.digitaloceanspaces.com", "spaces"],
      ["s3.us-west-004.backblazeb2.com", "b2"],
      ["storage.googleapis.com", "gcs"],
      ["STORAGE.GOOGLEAPIS.COM.", "gcs"],
      ["s3.eu-central-1.wasabisys.com", "wasabi"],
      ["s3.wasabisys.com", "wasabi"],
      ["s3.eu-west-1.amazonaws.com", "aws"],
    ];
    for (const [host, provider] of cases) assert.equal(detectProvider(host), provider, host);
  });

  it("names nothing for look-alikes and hosts of no one store", () => {
    for (const host of [
      "r2.cloudflarestorage.com.evil.com",
      "evilr2.cloudflarestorage.com",
      "x.notdigitaloceanspaces.com",
      "digitaloceanspaces.com",
      "storage.googleapis.com.evil.com",
      "bucket.storage.googleapis.com", // GCS's own virtual hosts are not --endpoint hosts
      "wasabisys.com.example.org",
      "127.0.0.1",
      "minio.internal",
      "s3.example.internal",
    ]) {
      assert.equal(detectProvider(host), undefined, host);
    }
  });
});

describe("store settings checked at start", () => {
  const r2 = storeProfile("r2");
  const wasabi = storeProfile("wasabi");
  const b2 = storeProfile("b2");
  const week = 7 * 86400;

  it("R2 signs for auto (us-east-1 is its alias), only on its own host", () => {
    assert.deepEqual(checkStoreSettings(r2, { region: "auto", maxTtlSeconds: week }), []);
    assert.deepEqual(checkStoreSettings(r2, { region: "us-east-1", maxTtlSeconds: week }), []);
    assert.deepEqual(checkStoreSettings(r2, { region: "eu-west-1", maxTtlSeconds: week }), [
      {
        setting: "region",
        problem: 'Cloudflare R2 signs for region auto (or its alias us-east-1), not "eu-west-1"',
      },
    ]);
    assert.deepEqual(checkStoreSettings(r2, { presignedHost: "files.example.com", maxTtlSeconds: week }), [
      {
        setting: "publicEndpoint",
        problem:
          "Cloudflare R2 presigned URLs work only on <account>.r2.cloudflarestorage.com, not on a custom domain (got files.example.com)",
      },
    ]);
    assert.equal(defaultRegion(r2, "acct.r2.cloudflarestorage.com"), "auto");
  });

  it("Wasabi and B2: the region is the endpoint's", () => {
    assert.equal(defaultRegion(wasabi, "s3.eu-central-1.wasabisys.com"), "eu-central-1");
    assert.equal(defaultRegion(wasabi, "s3.wasabisys.com"), "us-east-1");
    assert.equal(defaultRegion(b2, "s3.us-west-004.backblazeb2.com"), "us-west-004");
    assert.equal(defaultRegion(wasabi, "wasabi.internal"), undefined);
    const endpointHost = "s3.eu-central-1.wasabisys.com";
    assert.deepEqual(checkStoreSettings(wasabi, { region: "eu-central-1", endpointHost, maxTtlSeconds: week }), []);
    assert.deepEqual(checkStoreSettings(wasabi, { region: "us-east-1", endpointHost, maxTtlSeconds: week }), [
      {
        setting: "region",
        problem:
          'Wasabi answers s3.eu-central-1.wasabisys.com in region eu-central-1, not "us-east-1" (leave it unset, or match the endpoint)',
      },
    ]);
  });

  it("a lifetime beyond the store's is a problem of --max-ttl", () => {
    assert.deepEqual(checkStoreSettings(storeProfile("gcs"), { maxTtlSeconds: week + 1 }), [
      { setting: "maxTtl", problem: "Google Cloud Storage honours presigned URLs for at most 604800s" },
    ]);
  });
});

describe("equal parts (R2)", () => {
  const r2 = storeProfile("r2");
  const MiB = 1024 * 1024;

  it("lets a short part be the last of the request", () => {
    checkEqualParts(r2, 8 * MiB, [
      { partNumber: 1, contentLength: 8 * MiB },
      { partNumber: 2, contentLength: 100 },
    ]);
    checkEqualParts(r2, 8 * MiB, [{ partNumber: 7, contentLength: 1 }]);
  });

  it("refuses a short part that a higher-numbered part follows, naming it and the store", () => {
    assert.throws(
      () =>
        checkEqualParts(r2, 8 * MiB, [
          { partNumber: 3, contentLength: 8 * MiB },
          { partNumber: 1, contentLength: 5 * MiB },
        ]),
      (error: unknown) =>
        error instanceof PresignError &&
        error.reason === "failed_precondition" &&
        error.field === "parts[1].content_length" &&
        error.message ===
          "parts[1].content_length: Cloudflare R2 needs every part but the last to be exactly part_size (8388608 bytes); part 1 has 5242880 and part 3 follows it",
    );
  });
});

describe("--provider and --bucket-provider", () => {
  const base: RawServeOptions = {
    ...SERVE_DEFAULTS,
    policy: "p.yaml",
    bucket: ["media", "backups"],
  };
  const stores = (raw: Partial<RawServeOptions>) =>
    Object.fromEntries(
      [...parseServeOptions({ ...base, ...raw }).stores].map(([bucket, s]) => [
        bucket,
        `${s.profile.provider}/${s.source}${s.region ? `/${s.region}` : ""}`,
      ]),
    );

  it("detects from the endpoint; the flag overrides; per bucket overrides both", () => {
    assert.deepEqual(stores({}), { media: "aws/default", backups: "aws/default" });
    assert.deepEqual(stores({ endpoint: "http://127.0.0.1:7480" }), {
      media: "generic/default",
      backups: "generic/default",
    });
    assert.deepEqual(stores({ endpoint: "https://acct.r2.cloudflarestorage.com" }), {
      media: "r2/detected/auto",
      backups: "r2/detected/auto",
    });
    assert.deepEqual(stores({ endpoint: "https://acct.r2.cloudflarestorage.com", provider: "generic" }), {
      media: "generic/provider",
      backups: "generic/provider",
    });
    assert.deepEqual(stores({ endpoint: "http://127.0.0.1:7480", provider: "ceph", bucketProvider: ["media=minio"] }), {
      media: "minio/bucket-provider",
      backups: "ceph/provider",
    });
    assert.deepEqual(stores({ dev: true, bucket: [], provider: "r2" }), { dev: "r2/provider" });
  });

  it("MinIO and RGW default to path style; --path-style false keeps virtual hosts", () => {
    const endpoint = "http://127.0.0.1:7480";
    assert.equal(parseServeOptions({ ...base, endpoint, provider: "ceph" }).pathStyle, true);
    assert.equal(parseServeOptions({ ...base, endpoint, provider: "ceph", pathStyle: false }).pathStyle, false);
    assert.equal(parseServeOptions({ ...base, endpoint }).pathStyle, false);
  });

  it("names the setting of each problem", () => {
    assert.throws(
      () => parseServeOptions({ ...base, provider: "s4" }),
      /^ConfigError: --provider \(PRESIGND_PROVIDER\): "s4" is not one of aws, r2, b2, gcs, spaces, minio, ceph, wasabi, generic$/,
    );
    assert.throws(
      () => parseServeOptions({ ...base, bucketProvider: ["media:r2", "other=r2", "backups=s4"] }),
      (error: Error) =>
        error.message ===
        [
          "invalid settings",
          '  --bucket-provider (PRESIGND_BUCKET_PROVIDER): "media:r2" is not BUCKET=PROVIDER, e.g. media=r2',
          '  --bucket-provider (PRESIGND_BUCKET_PROVIDER): "other=r2" names no configured bucket (media, backups)',
          '  --bucket-provider (PRESIGND_BUCKET_PROVIDER): "backups=s4" names no provider: use one of aws, r2, b2, gcs, spaces, minio, ceph, wasabi, generic',
        ].join("\n"),
    );
    assert.throws(
      () => parseServeOptions({ ...base, endpoint: "https://acct.r2.cloudflarestorage.com", region: "eu-west-1" }),
      /^ConfigError: --region \(PRESIGND_REGION\): Cloudflare R2 signs for region auto \(or its alias us-east-1\), not "eu-west-1"$/,
    );
    assert.throws(
      () =>
        parseServeOptions({
          ...base,
          endpoint: "https://acct.r2.cloudflarestorage.com",
          publicEndpoint: "https://files.example.com",
        }),
      /^ConfigError: --public-endpoint \(PRESIGND_PUBLIC_ENDPOINT\): Cloudflare R2 presigned URLs work only on/,
    );
    assert.throws(
      () => parseServeOptions({ ...base, endpoint: "https://files.example.com", provider: "r2" }),
      /^ConfigError: --endpoint \(PRESIGND_ENDPOINT\): Cloudflare R2 presigned URLs work only on/,
    );
    assert.throws(
      () => parseServeOptions({ ...base, endpoint: "https://s3.eu-central-1.wasabisys.com", region: "us-east-1" }),
      /^ConfigError: --region \(PRESIGND_REGION\): Wasabi answers s3\.eu-central-1\.wasabisys\.com in region eu-central-1/,
    );
  });

  it("PRESIGND_PROVIDER and PRESIGND_BUCKET_PROVIDER (comma-separated); a flag wins over the environment, a bucket's own over both", () => {
    const env = envValues({
      PRESIGND_BUCKET: "media,backups,logs",
      PRESIGND_POLICY: "p.yaml",
      PRESIGND_ENDPOINT: "http://127.0.0.1:9000",
      PRESIGND_PROVIDER: "minio",
      PRESIGND_BUCKET_PROVIDER: "media=ceph,logs=generic",
    });
    const byBucket = (config: ReturnType<typeof configFromLayers>) =>
      [...config.stores].map(([bucket, s]) => `${bucket}:${s.profile.provider}`);
    assert.deepEqual(byBucket(configFromLayers({ env })), ["media:ceph", "backups:minio", "logs:generic"]);
    assert.deepEqual(byBucket(configFromLayers({ env, flags: { provider: "ceph" } })), [
      "media:ceph",
      "backups:ceph",
      "logs:generic",
    ]);
  });

  it("--dev applies the profile's refusals, not its endpoint and region rules", () => {
    const config = parseServeOptions({ ...base, bucket: [], policy: undefined, dev: true, provider: "r2" } as never);
    assert.equal(config.stores.get("dev")?.profile.provider, "r2");
    assert.equal(config.region, "us-east-1");
  });
});

describe("the README's store × capability table", () => {
  it("has one row per provider, and says refused, equal and path exactly where the profile does", async () => {
    const readme = await readFile(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("### Store profiles"), readme.indexOf("### Config file"));
    const rows = section
      .split("\n")
      .filter((line) => /^\| .*\(`[a-z0-9]+`\) \|/.test(line))
      .map((line) => line.split(" | "));
    const named = rows.map((cells) => /\(`([a-z0-9]+)`\)/.exec(cells[0] ?? "")?.[1]);
    assert.deepEqual(named, [...PROVIDERS]);
    for (const [i, provider] of PROVIDERS.entries()) {
      const [, post = "", checksum = "", , parts = "", partChecksums = "", addressing = ""] = rows[i] ?? [];
      const profile = storeProfile(provider);
      assert.equal(post.includes("**refused**"), profile.postRefusal !== undefined, `${provider}: POST`);
      assert.equal(checksum.includes("**refused**"), profile.checksumRefusal !== undefined, `${provider}: checksum`);
      assert.equal(parts.includes("**equal**"), profile.equalParts, `${provider}: parts`);
      assert.equal(
        partChecksums.includes("**refused**"),
        profile.partChecksumRefusal !== undefined,
        `${provider}: per-part checksums`,
      );
      assert.equal(addressing.includes("**path**"), profile.addressing === "path", `${provider}: addressing`);
    }
  });
});
