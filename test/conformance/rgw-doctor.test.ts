import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  GetBucketCorsCommand,
  PutBucketCorsCommand,
  PutBucketLifecycleConfigurationCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { UNCONFIRMED_CORS } from "../../src/cli/doctor-command.js";
import type { CheckResult } from "../../src/server/doctor/doctor-result.js";
import { ALLOW_ALL, writePolicy } from "../support/policy.js";
import { rgwFromEnv } from "../support/rgw.js";
import { PRESIGND, run } from "../support/run.js";

// presignd doctor, the built CLI, against Ceph RGW 16: a bucket without CORS, one whose CORS hides ETag,
// and a signing region the buckets are not in. RGW refuses to create a bucket in another region
// (CreateBucket with any LocationConstraint but its zonegroup's api_name, "default", is
// InvalidLocationConstraint), reports that name for every bucket with GetBucketLocation, sends no
// x-amz-bucket-region, and accepts signatures for any region: so "the wrong region" here is --region
// set to another one, which the region check reports as a warning with the fix.
describe("presignd doctor against RGW", () => {
  const rgw = rgwFromEnv();
  const s3 = new S3Client({ region: "us-east-1", endpoint: rgw.endpoint, forcePathStyle: true });
  const suffix = randomBytes(4).toString("hex");
  const noCors = `doctor-nocors-${suffix}`;
  const noEtag = `doctor-noetag-${suffix}`;
  const origin = "http://127.0.0.1:5173";
  const other = "https://other.example";
  let policy: string;
  const doctor = (args: readonly string[]) =>
    run(PRESIGND, [
      "doctor",
      "--policy",
      policy,
      "--endpoint",
      rgw.endpoint,
      "--path-style",
      "--provider",
      "ceph",
      "--cors-origin",
      origin,
      "-b",
      noCors,
      "-b",
      noEtag,
      ...args,
    ]);
  const json = (stdout: Buffer) =>
    JSON.parse(stdout.toString()) as {
      results: CheckResult[];
      summary: Record<string, number>;
      corsFixes?: { bucket: string; changes: string[]; xml: string; written: boolean }[];
    };
  const find = (results: readonly CheckResult[], check: string, bucket?: string) => {
    const found = results.find((r) => r.check === check && r.bucket === bucket);
    assert.ok(found, `no ${check} result for ${bucket}`);
    return found;
  };

  before(async () => {
    policy = await writePolicy(ALLOW_ALL);
    await s3.send(new CreateBucketCommand({ Bucket: noCors }));
    await s3.send(new CreateBucketCommand({ Bucket: noEtag }));
    await s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: noEtag,
        LifecycleConfiguration: {
          Rules: [
            {
              ID: "abort-uploads",
              Status: "Enabled",
              Filter: { Prefix: "" },
              AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            },
          ],
        },
      }),
    );
    await s3.send(
      new PutBucketCorsCommand({
        Bucket: noEtag,
        CORSConfiguration: {
          CORSRules: [
            { AllowedOrigins: [origin], AllowedMethods: ["GET", "PUT", "POST", "HEAD"], AllowedHeaders: ["*"] },
            { AllowedOrigins: [other], AllowedMethods: ["GET"] },
          ],
        },
      }),
    );
  });
  after(async () => {
    for (const bucket of [noCors, noEtag]) {
      // The POST probe stored nothing: the buckets delete (an object would make this fail).
      await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    }
    s3.destroy();
  });

  it("reports each bucket's CORS problem with its fix, and exits 1", async () => {
    const res = await doctor(["--region", "default"]);
    assert.equal(res.code, 1, res.stderr);
    const out = res.stdout.toString();
    assert.match(out, /^ok {3}credentials: credentials load; no expiry$/m);
    assert.match(out, /^ok {3}clock-skew: this host is (within 1 s of|\d s (ahead of|behind)) the store.s clock$/m);
    assert.match(
      out,
      new RegExp(`^fail cors ${noCors}: no CORS configuration: .*\\(fix: presignd doctor --fix-cors`, "m"),
    );
    assert.match(
      out,
      new RegExp(`^fail cors ${noEtag}: ${origin}: ETag not exposed .*\\(fix: presignd doctor --fix-cors`, "m"),
    );
    assert.match(
      out,
      new RegExp(`^ok {3}region ${noCors}: signing for default \\(--region\\), as GetBucketLocation reports$`, "m"),
    );
    assert.match(out, new RegExp(`^warn multipart-cleanup ${noCors}: nothing aborts .*--reap-interval\\)$`, "m"));
    assert.match(
      out,
      new RegExp(
        `^ok {3}multipart-cleanup ${noEtag}: lifecycle rule "abort-uploads" aborts incomplete multipart uploads after 1 d$`,
        "m",
      ),
    );
    // The profile says RGW implements POST Object: the probe proves it, writing nothing.
    assert.match(
      out,
      new RegExp(`^ok {3}post-probe ${noCors}: Ceph RGW verifies POST policies .*HTTP 400 EntityTooLarge\\)$`, "m"),
    );
    assert.match(out, /^\d+ ok, \d+ warn, 2 fail$/m);
  });

  it("--json: every result as {check, bucket?, status, message, fix?}, and a summary", async () => {
    const res = await doctor(["--region", "default", "--json"]);
    assert.equal(res.code, 1, res.stderr);
    const { results, summary } = json(res.stdout);
    for (const r of results) {
      assert.deepEqual(
        Object.keys(r).filter((k) => !["check", "bucket", "status", "message", "fix"].includes(k)),
        [],
      );
      assert.ok(["ok", "warn", "fail"].includes(r.status));
      if (r.status !== "ok") assert.ok(r.fix, `${r.check} ${r.bucket}: a ${r.status} names its fix`);
    }
    assert.equal(summary.fail, 2);
    assert.equal(find(results, "cors", noCors).status, "fail");
    assert.match(find(results, "cors", noEtag).message, /ETag not exposed/);
    assert.deepEqual(
      results.filter((r) => r.check === "bucket").map((r) => [r.bucket, r.status]),
      [
        [noCors, "ok"],
        [noEtag, "ok"],
      ],
    );
  });

  it("the multipart reaper counts as cleanup", async () => {
    const res = await doctor(["--region", "default", "--handle-store", "memory", "--reap-interval", "1m", "--json"]);
    const cleanup = find(json(res.stdout).results, "multipart-cleanup", noCors);
    assert.deepEqual(
      [cleanup.status, cleanup.message],
      [
        "ok",
        "the reaper aborts presignd's multipart uploads past their token every 60 s; no lifecycle rule for the others",
      ],
    );
  });

  it("a signing region the store does not report: a warning naming --region", async () => {
    const res = await doctor(["--region", "eu-west-1", "--json"]);
    const region = find(json(res.stdout).results, "region", noCors);
    assert.equal(region.status, "warn");
    assert.match(region.message, /GetBucketLocation reports default but presignd signs for eu-west-1 \(--region\)/);
    assert.equal(region.fix, "set --region default");
  });

  it("--public-endpoint: a name that resolves and answers, and one that does not resolve", async () => {
    const good = await doctor(["--region", "default", "--public-endpoint", `http://localhost:${rgw.port}`, "--json"]);
    const reached = find(json(good.stdout).results, "public-endpoint", noCors);
    assert.deepEqual([reached.status, reached.message], ["ok", "a HEAD presigned for localhost is accepted"]);
    const bad = await doctor(["--region", "default", "--public-endpoint", "http://doctor-nowhere.invalid", "--json"]);
    assert.equal(bad.code, 1);
    const unresolved = find(json(bad.stdout).results, "public-endpoint", noCors);
    assert.equal(unresolved.status, "fail");
    assert.match(unresolved.message, /^doctor-nowhere\.invalid does not resolve \([A-Z_]+\)$/);
  });

  it("a missing bucket fails, with its fix", async () => {
    const res = await doctor(["--region", "default", "-b", `doctor-missing-${suffix}`, "--json"]);
    assert.equal(res.code, 1);
    const bucket = find(json(res.stdout).results, "bucket", `doctor-missing-${suffix}`);
    assert.deepEqual([bucket.status, bucket.message], ["fail", "does not exist (HeadBucket: 404)"]);
    assert.match(bucket.fix ?? "", /create it/);
    assert.equal(json(res.stdout).results.filter((r) => r.bucket === `doctor-missing-${suffix}`).length, 1);
  });

  it("--fix-cors without a terminal refuses unless -y/--yes, and writes nothing", async () => {
    const res = await doctor(["--region", "default", "--fix-cors"]);
    assert.equal(res.code, 1);
    assert.ok(res.stderr.includes(UNCONFIRMED_CORS), res.stderr);
    assert.match(res.stderr, /<CORSConfiguration>/);
    await assert.rejects(s3.send(new GetBucketCorsCommand({ Bucket: noCors })), { name: "NoSuchCORSConfiguration" });
  });

  it("--fix-cors --yes writes the rules, says what it replaced, and the CORS checks pass", async () => {
    const res = await doctor(["--region", "default", "--fix-cors", "--yes", "--json"]);
    assert.equal(res.code, 0, res.stdout.toString());
    const { results, corsFixes } = json(res.stdout);
    assert.equal(find(results, "cors", noCors).status, "ok");
    assert.equal(find(results, "cors", noEtag).status, "ok");
    const etagFix = corsFixes?.find((f) => f.bucket === noEtag);
    assert.ok(etagFix?.written);
    assert.match(
      etagFix.changes.join("\n"),
      /^replaces rule 1 \(origins http:\/\/127\.0\.0\.1:5173; methods [A-Z ]+\)$/m,
    );
    assert.match(etagFix.changes.join("\n"), /^keeps rule 2 \(origins https:\/\/other\.example; methods GET\)$/m);
    assert.match(etagFix.xml, /<ExposeHeader>ETag<\/ExposeHeader>/);
    const rules = (await s3.send(new GetBucketCorsCommand({ Bucket: noEtag }))).CORSRules ?? [];
    assert.deepEqual(
      rules.map((r) => [r.AllowedOrigins, r.ExposeHeaders ?? []]),
      [
        [[origin], ["ETag", "Content-Range"]],
        [[other], []],
      ],
    );
    // Run again: nothing left to fix.
    const again = await doctor(["--region", "default", "--fix-cors"]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /every bucket's CORS already passes; nothing to write/);
  });
});
