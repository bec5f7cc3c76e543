import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CORSRule } from "@aws-sdk/client-s3";
import { classifyRegion, locationRegion } from "../../src/server/doctor/bucket-check.js";
import { classifySkew, skewFromDate } from "../../src/server/doctor/clock-skew.js";
import { corsFix, corsXml, evaluateCors, FIX_RULE_ID, fixRule } from "../../src/server/doctor/cors-rules.js";
import { classifyCredentials } from "../../src/server/doctor/credentials-check.js";
import { doctorExitCode } from "../../src/server/doctor/doctor-result.js";
import { abortRules, classifyMultipartCleanup } from "../../src/server/doctor/multipart-cleanup.js";

const ORIGIN = "https://app.example.com";
const FULL: CORSRule = {
  AllowedOrigins: [ORIGIN],
  AllowedMethods: ["GET", "PUT", "POST", "HEAD", "DELETE"],
  AllowedHeaders: ["*"],
  ExposeHeaders: ["ETag", "Content-Range"],
};

describe("bucket CORS against a page origin", () => {
  it("passes the rule --fix-cors writes, and the README's", () => {
    assert.deepEqual(evaluateCors([fixRule([ORIGIN])], ORIGIN), { origin: ORIGIN, problems: [], warnings: [] });
    assert.deepEqual(evaluateCors([FULL], ORIGIN).problems, []);
  });

  it("origins: exact, S3's one-star wildcard, and no match", () => {
    assert.deepEqual(evaluateCors([{ ...FULL, AllowedOrigins: ["https://*.example.com"] }], ORIGIN).problems, []);
    assert.deepEqual(evaluateCors([{ ...FULL, AllowedOrigins: ["*"] }], ORIGIN).problems, []);
    assert.deepEqual(evaluateCors([{ ...FULL, AllowedOrigins: ["https://other.example"] }], ORIGIN).problems, [
      `no rule allows origin ${ORIGIN}`,
    ]);
    // Origins compare exactly (scheme and port included).
    assert.deepEqual(evaluateCors([{ ...FULL, AllowedOrigins: ["http://app.example.com"] }], ORIGIN).problems, [
      `no rule allows origin ${ORIGIN}`,
    ]);
  });

  it("a required method missing fails; DELETE missing warns", () => {
    const noPost = evaluateCors([{ ...FULL, AllowedMethods: ["GET", "PUT", "HEAD", "DELETE"] }], ORIGIN);
    assert.deepEqual(noPost.problems, ["POST not allowed"]);
    const noDelete = evaluateCors([{ ...FULL, AllowedMethods: ["GET", "PUT", "POST", "HEAD"] }], ORIGIN);
    assert.deepEqual(noDelete.problems, []);
    assert.deepEqual(noDelete.warnings, ["DELETE not allowed (a cancelled browser upload is not aborted)"]);
  });

  it("allowed headers must cover every signed header, x-amz-meta-* as a prefix", () => {
    const listed = [
      "content-type",
      "content-md5",
      "x-amz-checksum-sha256",
      "x-amz-checksum-crc32c",
      "x-amz-meta-*",
      "range",
    ];
    assert.deepEqual(evaluateCors([{ ...FULL, AllowedHeaders: listed }], ORIGIN).problems, []);
    assert.deepEqual(
      evaluateCors([{ ...FULL, AllowedHeaders: ["Content-Type", "Content-MD5", "x-amz-*", "Range"] }], ORIGIN).problems,
      [],
    );
    const someMeta = evaluateCors(
      [
        {
          ...FULL,
          AllowedHeaders: [
            "content-type",
            "content-md5",
            "x-amz-checksum-sha256",
            "x-amz-checksum-crc32c",
            "x-amz-meta-owner",
            "range",
          ],
        },
      ],
      ORIGIN,
    );
    assert.deepEqual(someMeta.problems, [
      "PUT, POST, GET, HEAD not allowed with the signed headers (AllowedHeaders must cover x-amz-meta-*)",
    ]);
    assert.match(
      evaluateCors([{ ...FULL, AllowedHeaders: undefined }], ORIGIN).problems[0] ?? "",
      /must cover content-type, content-md5/,
    );
  });

  it("ETag hidden fails, Content-Range hidden warns", () => {
    const hidden = evaluateCors([{ ...FULL, ExposeHeaders: [] }], ORIGIN);
    assert.deepEqual(hidden.problems, ["ETag not exposed (browser multipart uploads need it)"]);
    assert.deepEqual(hidden.warnings, ["Content-Range not exposed (ranged downloads)"]);
    assert.deepEqual(evaluateCors([{ ...FULL, ExposeHeaders: ["etag"] }], ORIGIN).problems, []);
  });

  it("the first matching rule decides, as S3 picks", () => {
    const first: CORSRule = { ...FULL, ExposeHeaders: [] };
    assert.deepEqual(evaluateCors([first, FULL], ORIGIN).problems, [
      "ETag not exposed (browser multipart uploads need it)",
    ]);
    assert.deepEqual(evaluateCors([FULL, first], ORIGIN).problems, []);
  });
});

describe("--fix-cors", () => {
  it("no rules: adds presignd's", () => {
    const fix = corsFix([], [ORIGIN]);
    assert.deepEqual(fix.rules, [fixRule([ORIGIN])]);
    assert.deepEqual(fix.changes, ["the bucket has no CORS rules: adds one"]);
  });

  it("replaces an earlier fix and rules for configured origins only; keeps the rest after its rule", () => {
    const earlier: CORSRule = { ...fixRule(["https://old.example"]) };
    const same: CORSRule = { AllowedOrigins: [ORIGIN], AllowedMethods: ["GET"] };
    const wide: CORSRule = { ID: "wide", AllowedOrigins: ["https://*.example.com"], AllowedMethods: ["GET"] };
    const other: CORSRule = { AllowedOrigins: ["https://other.test"], AllowedMethods: ["GET"] };
    const fix = corsFix([earlier, same, wide, other], [ORIGIN]);
    assert.deepEqual(fix.rules, [fixRule([ORIGIN]), wide, other]);
    assert.deepEqual(fix.changes, [
      `replaces rule 1 "${FIX_RULE_ID}" (origins https://old.example; methods GET PUT POST HEAD DELETE)`,
      `replaces rule 2 (origins ${ORIGIN}; methods GET)`,
      `keeps rule 3 "wide" (origins https://*.example.com; methods GET) after the new rule, which now decides for ${ORIGIN}`,
      "keeps rule 4 (origins https://other.test; methods GET)",
    ]);
    assert.deepEqual(evaluateCors(fix.rules, ORIGIN).problems, []);
  });

  it("shows the CORSConfiguration document, escaped", () => {
    assert.equal(
      corsXml([{ AllowedOrigins: ["https://a&b.example"], AllowedMethods: ["GET"], MaxAgeSeconds: 60 }]),
      "<CORSConfiguration>\n  <CORSRule>\n    <AllowedOrigin>https://a&amp;b.example</AllowedOrigin>\n    <AllowedMethod>GET</AllowedMethod>\n    <MaxAgeSeconds>60</MaxAgeSeconds>\n  </CORSRule>\n</CORSConfiguration>\n",
    );
    assert.match(
      corsXml([fixRule([ORIGIN])]),
      /<ID>presignd<\/ID>\n {4}<AllowedOrigin>https:\/\/app\.example\.com<\/AllowedOrigin>/,
    );
  });
});

describe("multipart cleanup", () => {
  it("finds enabled AbortIncompleteMultipartUpload rules and their prefixes", () => {
    assert.deepEqual(
      abortRules([
        { ID: "all", Status: "Enabled", Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
        { ID: "off", Status: "Disabled", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
        { ID: "expire", Status: "Enabled", Expiration: { Days: 30 } },
        {
          ID: "tmp",
          Status: "Enabled",
          Filter: { Prefix: "tmp/" },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 2 },
        },
        { ID: "legacy", Status: "Enabled", Prefix: "old/", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } },
        {
          ID: "tagged",
          Status: "Enabled",
          Filter: { Tag: { Key: "k", Value: "v" } },
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
        },
      ]),
      [
        { id: "all", days: 1, prefix: "" },
        { id: "tmp", days: 2, prefix: "tmp/" },
        { id: "legacy", days: 3, prefix: "old/" },
      ],
    );
  });

  it("ok with a whole-bucket rule or the reaper; warns otherwise", () => {
    const off = { enabled: false, intervalMs: 0 };
    assert.equal(classifyMultipartCleanup("b", [{ days: 1, prefix: "" }], off).status, "ok");
    assert.equal(classifyMultipartCleanup("b", [], { enabled: true, intervalMs: 60_000 }).status, "ok");
    const partial = classifyMultipartCleanup("b", [{ days: 1, prefix: "tmp/" }], off);
    assert.equal(partial.status, "warn");
    assert.match(partial.message, /only under "tmp\/"/);
    assert.match(classifyMultipartCleanup("b", [], off).fix ?? "", /AbortIncompleteMultipartUpload.*--reap-interval/);
  });
});

describe("clock skew", () => {
  it("ok under a minute, warn under SigV4's 15 minutes, fail from there, either way", () => {
    assert.equal(classifySkew(0).message, "this host is within 1 s of the store's clock");
    assert.equal(classifySkew(59_000).status, "ok");
    assert.equal(classifySkew(-61_000).status, "warn");
    assert.match(classifySkew(-61_000).message, /61 s behind the store's clock/);
    assert.equal(classifySkew(14 * 60_000).status, "warn");
    assert.equal(classifySkew(15 * 60_000).status, "fail");
    assert.match(classifySkew(-16 * 60_000).message, /960 s behind .*RequestTimeTooSkewed/);
  });

  it("reads an HTTP Date; none or garbage gives no result", () => {
    const at = new Date("2026-12-02T06:00:30.500Z");
    assert.match(skewFromDate("Wed, 02 Dec 2026 06:00:00 GMT", at)?.message ?? "", /30 s ahead of/);
    assert.equal(skewFromDate(null, at), undefined);
    assert.equal(skewFromDate("yesterday", at), undefined);
  });
});

describe("credentials", () => {
  const now = new Date("2026-12-02T06:00:00Z");
  const keys = { accessKeyId: "AKID", secretAccessKey: "secret" };
  it("no expiry: ok; expired: fail; expiring before --max-ttl: warn", () => {
    assert.equal(classifyCredentials(keys, now, 3600).status, "ok");
    const expired = classifyCredentials(
      { ...keys, sessionToken: "t", expiration: new Date("2026-12-02T05:59:00Z") },
      now,
      3600,
    );
    assert.deepEqual(
      [expired.status, expired.message],
      ["fail", "temporary credentials expired at 2026-12-02T05:59:00.000Z"],
    );
    const soon = classifyCredentials(
      { ...keys, sessionToken: "t", expiration: new Date("2026-12-02T06:30:00Z") },
      now,
      3600,
    );
    assert.equal(soon.status, "warn");
    assert.match(soon.message, /in 30 min\), before --max-ttl/);
    assert.equal(
      classifyCredentials({ ...keys, expiration: new Date("2026-12-02T08:00:00Z") }, now, 3600).status,
      "ok",
    );
  });
  it("never shows the secret or the session token", () => {
    const r = classifyCredentials(
      { ...keys, sessionToken: "tok", expiration: new Date("2026-12-02T06:30:00Z") },
      now,
      3600,
    );
    assert.ok(!JSON.stringify(r).includes("secret") && !JSON.stringify(r).includes("tok"));
  });
});

describe("region", () => {
  it("GetBucketLocation's legacy names", () => {
    assert.deepEqual(["", undefined, "EU", "eu-central-1"].map(locationRegion), [
      "us-east-1",
      "us-east-1",
      "eu-west-1",
      "eu-central-1",
    ]);
  });
  it("a mismatch fails when the store refused the signed HEAD, warns when it accepted it", () => {
    const facts = { reportedRegion: "eu-west-1", reportedBy: "x-amz-bucket-region" as const };
    const refused = classifyRegion("b", "us-east-1", "--region", facts, {
      status: 400,
      date: null,
      receivedAt: new Date(),
    });
    assert.equal(refused.status, "fail");
    assert.equal(refused.fix, "set --region eu-west-1, or leave --region unset to discover it");
    const accepted = classifyRegion("b", "us-east-1", "discovered", facts, {
      status: 200,
      date: null,
      receivedAt: new Date(),
    });
    assert.deepEqual([accepted.status, accepted.fix], ["warn", "set --region eu-west-1"]);
    assert.equal(classifyRegion("b", "eu-west-1", "discovered", facts, undefined).status, "ok");
    assert.equal(classifyRegion("b", "us-east-1", "--region", {}, undefined).status, "ok");
  });
});

it("exit code: 1 when any check fails, warnings do not", () => {
  assert.equal(doctorExitCode([{ check: "cors", status: "warn", message: "" }]), 0);
  assert.equal(
    doctorExitCode([
      { check: "cors", status: "ok", message: "" },
      { check: "bucket", status: "fail", message: "" },
    ]),
    1,
  );
});
