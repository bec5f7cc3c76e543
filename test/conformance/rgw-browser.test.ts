import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { CreateBucketCommand, ListMultipartUploadsCommand, S3Client } from "@aws-sdk/client-s3";
import type { CheckResult } from "../../src/server/doctor/doctor-result.js";
import { serveDevPage } from "../support/dev-page-server.js";
import { devPageSuite } from "../support/dev-page-suite.js";
import { KEYS, sha256, writePolicy } from "../support/policy.js";
import { presigndForRgw, rgwFromEnv, setupRgwNotifications } from "../support/rgw.js";
import { PRESIGND, run } from "../support/run.js";

// The dev page against Ceph RGW: the page on an origin of its own, presignd in production mode
// in front of RGW allowing that origin (--cors-origin), and the bucket CORS a browser needs
// (README, "Browsers (CORS)"), as `presignd doctor --fix-cors` writes it; a watcher beside it sees the
// page's uploads land through RGW's bucket notifications. The page sends no credentials: a rule admits anonymous loopback
// callers to the keys the suite uses.
const PAGE_POLICY = `principals:
  - name: admin
    api_key_sha256: ["${sha256(KEYS.admin)}"]
rules:
  - name: backend-watches
    principals: ["key:admin"]
    operations: [watch]
    buckets: ["*"]
    keys: ["page/*"]
  - name: dev-page
    principals: [anonymous]
    networks: ["127.0.0.1/32"]
    operations: [get, put, post, multipart]
    buckets: ["*"]
    keys: ["page/*", "uploads/*", "cancelled/*"]
    allow_filename: true
`;

devPageSuite("rgw", async () => {
  const rgw = rgwFromEnv();
  const page = await serveDevPage();
  const s3 = new S3Client({ region: "us-east-1", endpoint: rgw.endpoint, forcePathStyle: true });
  // A bucket of its own, so that its CORS rules and its notification (RGW 16 answers an empty
  // PutBucketNotificationConfiguration with an error: it stays) touch no other suite.
  const bucket = `page-${randomBytes(4).toString("hex")}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const policy = await writePolicy(PAGE_POLICY);
  // The bucket CORS the page needs, written by presignd doctor --fix-cors with the settings serve gets:
  // the suite below proves the fix.
  const fixed = await run(PRESIGND, [
    "doctor",
    "--fix-cors",
    "--yes",
    "--json",
    ...["--policy", policy, "--endpoint", rgw.endpoint, "--path-style", "--provider", "ceph", "--region", "us-east-1"],
    ...["-b", bucket, "--cors-origin", page.origin],
  ]);
  const cors = (JSON.parse(fixed.stdout.toString()) as { results: CheckResult[] }).results.find(
    (r) => r.check === "cors" && r.bucket === bucket,
  );
  assert.equal(cors?.status, "ok", `${fixed.stdout}${fixed.stderr}`);
  assert.equal(fixed.code, 0, fixed.stderr);
  // The poller would HEAD once an hour: what the page uploads lands through RGW's own bucket
  // notifications, pushed to presignd (`presignd notifications setup`).
  const secret = randomBytes(24).toString("hex");
  const presignd = await presigndForRgw(rgw, {
    bucket: [bucket],
    corsOrigin: [page.origin],
    policy,
    handleStore: "memory",
    watchPollInterval: "1h",
    notificationSecret: secret,
  });
  const notifications = await setupRgwNotifications(rgw, {
    bucket,
    secret,
    policy,
    pushEndpoint: `${presignd.server.url}/s3-notifications`,
    topic: "presignd-page",
  });
  assert.equal(notifications.code, 0, notifications.stderr);
  // A backend watching what the page uploads, with presignd's HEADs behind each event.
  const landed: string[] = [];
  const watching = new AbortController();
  const watcher = (async () => {
    try {
      for await (const up of presignd.client.watchUploads("page/", { signal: watching.signal })) landed.push(up.key);
    } catch (error) {
      // Aborted at close; anything else shows in what the suite asserts.
      if (!watching.signal.aborted) landed.push(`watch failed: ${(error as Error).message}`);
    }
  })();
  return {
    landed: () => landed,
    pageUrl: `${page.origin}/?server=${encodeURIComponent(presignd.server.url)}`,
    multipartUploads: async (prefix) =>
      ((await s3.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }))).Uploads ?? []).length,
    close: async () => {
      watching.abort();
      await watcher;
      await presignd.server.close();
      await page.close();
      s3.destroy();
    },
  };
});
