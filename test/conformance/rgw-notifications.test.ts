import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, GetBucketNotificationConfigurationCommand, S3Client } from "@aws-sdk/client-s3";
import { UploadKind } from "../../src/gen/presign/v1/presign_pb.js";
import { ALLOW_ALL, KEYS, writePolicy } from "../support/policy.js";
import { presigndForRgw, type RgwPresignd, rgwFromEnv, setupRgwNotifications } from "../support/rgw.js";
import { PRESIGND, run } from "../support/run.js";
import { tempDir } from "../support/temp-dir.js";
import { watching } from "../support/watching.js";

const SECRET = randomBytes(24).toString("hex");
const MiB = 1024 * 1024;

describe("RGW bucket notifications: presignd notifications setup, then RGW's own pushes land uploads", () => {
  const rgw = rgwFromEnv();
  // A bucket of its own: its notification (left in place: RGW 16 answers an empty
  // PutBucketNotificationConfiguration with an error) must not push other suites' uploads anywhere.
  const bucket = `notify-${randomBytes(4).toString("hex")}`;
  const s3 = new S3Client({ region: "us-east-1", endpoint: rgw.endpoint, forcePathStyle: true });
  let p: RgwPresignd;
  let policy: string;
  const setup = (pushEndpoint = `${p.server.url}/s3-notifications`) =>
    setupRgwNotifications(rgw, { bucket, secret: SECRET, policy, pushEndpoint, topic: `presignd-${bucket}` });
  const watch = () => {
    const controller = new AbortController();
    return watching(p.client.service.watchUploads({ prefix: "notify/" }, { signal: controller.signal }), controller);
  };
  const forge = (key: string, opaqueData: string) =>
    fetch(`${p.server.url}/s3-notifications`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        Records: [{ eventName: "ObjectCreated:Put", s3: { bucket: { name: bucket }, object: { key } }, opaqueData }],
      }),
    });

  before(async () => {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    policy = await writePolicy(ALLOW_ALL);
    // The poller would HEAD once an hour: only RGW's notification can deliver within the test.
    p = await presigndForRgw(rgw, {
      bucket: [bucket],
      handleStore: "memory",
      watchPollInterval: "1h",
      notificationSecret: SECRET,
    });
  });
  after(async () => {
    s3.destroy();
    await p.server.close();
  });

  it("sets up the topic and the bucket's notification, and again changes nothing", async () => {
    const first = await setup();
    assert.equal(first.code, 0, first.stderr);
    const lines = first.stdout.toString().trim().split("\n");
    assert.match(
      lines[0] as string,
      /^topic presignd-notify-\w+: created or updated \(arn:aws:sns:[^)]*\), push-endpoint http:\/\/127\.0\.0\.1:\d+\/s3-notifications, persistent false$/,
    );
    assert.match(
      lines[1] as string,
      new RegExp(`^bucket ${bucket}: notification presignd created: s3:ObjectCreated:\\* → arn:`),
    );
    assert.ok(!first.stdout.toString().includes(SECRET), "the secret is not printed");
    const config = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    assert.deepEqual(
      config.TopicConfigurations?.map((t) => [t.Id, t.Events]),
      [["presignd", ["s3:ObjectCreated:*"]]],
    );
    for (const [url, why] of [
      [`${p.server.url}/notify`, "presignd: --push-endpoint: the path must be /s3-notifications, not /notify"],
      [
        `${p.server.url}/s3-notifications?token=${SECRET}`,
        "presignd: --push-endpoint: must carry no user info and no query (the secret travels as the topic's OpaqueData)",
      ],
    ] as const) {
      const refused = await setup(url);
      assert.equal(refused.code, 1);
      assert.equal(refused.stderr.trim(), why);
    }
    const again = await setup();
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout.toString(), new RegExp(`bucket ${bucket}: notification presignd already sends`));
  });

  it("streams uploads as RGW's notifications arrive: presigned PUT, presignd put, multipart", async () => {
    const w = watch();
    try {
      await new Promise((r) => setTimeout(r, 200));
      const body = randomBytes(1000);
      const put = await p.client.service.putObject({
        bucket,
        key: "notify/one.bin",
        contentLength: 1000n,
        contentType: "application/x-test",
      });
      const res = await fetch(put.url, { method: "PUT", headers: put.headers, body });
      assert.equal(res.status, 200, await res.text());
      const first = await w.next(1, 10_000);
      assert.equal(first.object?.key, "notify/one.bin");
      assert.equal(first.object?.size, 1000n);
      assert.equal(first.kind, UploadKind.PUT);
      assert.deepEqual([...first.verified].sort(), ["content_length", "content_type"]);

      const file = join(tempDir("presignd-notify-"), "cli.txt");
      await writeFile(file, "from the command line\n");
      const cli = await run(
        PRESIGND,
        ["put", "notify/cli.txt", "-f", file, "-s", p.server.url, "--bucket", bucket, "-q"],
        {
          env: { PRESIGND_API_KEY: KEYS.admin },
        },
      );
      assert.equal(cli.code, 0, cli.stderr);
      const second = await w.next(2, 10_000);
      assert.equal(second.object?.key, "notify/cli.txt");

      await p.client.upload("notify/parts.bin", randomBytes(6 * MiB), {
        params: { bucket },
        multipartThreshold: 5 * MiB,
        partSize: 5 * MiB,
      });
      const third = await w.next(3, 10_000);
      assert.equal(third.object?.key, "notify/parts.bin");
      assert.equal(third.kind, UploadKind.MULTIPART);
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(w.events.length, 3, "each once");
    } finally {
      await w.stop();
    }
  });

  it("rejects forged notifications: a wrong secret (401), an object that is not there (nothing)", async () => {
    const w = watch();
    try {
      await p.client.service.putObject({ bucket, key: "notify/never.bin", contentLength: 5n });
      const wrong = await forge("notify/never.bin", "guessed-secret-0123456789");
      assert.equal(wrong.status, 401);
      const absent = await forge("notify/never.bin", SECRET);
      assert.equal(absent.status, 200);
      assert.deepEqual(await absent.json(), { landed: 0, ignored: 1 });
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(w.events.length, 0, "nothing streamed");
    } finally {
      await w.stop();
    }
  });
});
