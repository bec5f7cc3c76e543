import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { connectPresignd } from "../../src/cli/node-client.js";
import type { RawServeOptions } from "../../src/server/config/config.js";
import { type DevS3, startDevS3 } from "../../src/server/s3/dev-s3.js";
import type { RunningServer } from "../../src/server/start.js";
import { ALLOW_ALL, KEYS, writePolicy } from "../support/policy.js";
import { startProductionServer } from "../support/production-server.js";
import { refusal } from "../support/refusal.js";
import { startSlowProxy } from "../support/slow-proxy.js";
import { startTestServer } from "../support/test-server.js";
import { waitFor } from "../support/wait-for.js";

// Not development mode: an S3 endpoint given by --endpoint, credentials from
// the AWS SDK's default provider chain (here: the environment).
describe("serving a configured S3 endpoint with the SDK credential chain", () => {
  let s3: DevS3;
  let dataDir: string;
  const servers: RunningServer[] = [];
  const saved = { ...process.env };
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "presignd-ext-"));
    s3 = await startDevS3({ dataDir, host: "127.0.0.1", port: 0, buckets: ["ext-bucket", "second"] });
    // Keep the chain local: no instance metadata, no profile files.
    process.env.AWS_EC2_METADATA_DISABLED = "true";
    process.env.AWS_CONFIG_FILE = join(dataDir, "no-config");
    process.env.AWS_SHARED_CREDENTIALS_FILE = join(dataDir, "no-credentials");
  });
  after(async () => {
    for (const server of servers) await server.close();
    await s3.close();
    await rm(dataDir, { recursive: true, force: true });
    process.env = saved;
  });

  async function serve(extra: Partial<RawServeOptions> = {}): Promise<RunningServer> {
    const server = await startProductionServer({ bucket: ["ext-bucket", "second"], endpoint: s3.endpoint, ...extra });
    servers.push(server);
    return server;
  }

  it("moves bytes with env credentials and a discovered (defaulted) region", async () => {
    process.env.AWS_ACCESS_KEY_ID = "S3RVER";
    process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
    const server = await serve();
    const client = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.admin } });
    await client.upload("ext.txt", Buffer.from("external"));
    const chunks: Buffer[] = [];
    await client.download("ext.txt", new WritableStream({ write: (c) => void chunks.push(Buffer.from(c)) }));
    assert.equal(Buffer.concat(chunks).toString(), "external");
    await client.upload("two.txt", Buffer.from("2"), { params: { bucket: "second" } });
    const second = await client.service.getObject({ bucket: "second", key: "two.txt" });
    assert.match(second.url, /\/second\/two\.txt\?/);
  });

  it("is not ready while a served bucket is missing, and says which", async () => {
    const server = await serve({ bucket: ["ext-bucket", "ghost"] });
    const ready = await fetch(`${server.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.deepEqual(await ready.json(), {
      status: "NOT_SERVING",
      reason: 'bucket "ghost" does not exist (HEAD answered HTTP 404)',
    });
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });

  it("warns at start of a missing bucket, refuses it with failed_precondition, and serves it once created", async () => {
    process.env.AWS_ACCESS_KEY_ID = "S3RVER";
    process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
    const bucket = "made-later";
    const server = await startTestServer({
      dev: false,
      bucket: ["ext-bucket", bucket],
      region: "us-east-1",
      endpoint: s3.endpoint,
      pathStyle: true,
      policy: await writePolicy(ALLOW_ALL),
    });
    servers.push(server);
    const warning = await waitFor(() => server.logs.find((l) => l.level === 40 && l.bucket === bucket));
    assert.match(String(warning.msg), /^bucket "made-later" does not exist at S3 \(HEAD answered HTTP 404\)/);
    const client = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.admin } });
    const error = await refusal(client.service.getObject({ bucket, key: "k" }));
    assert.equal(error.code, Code.FailedPrecondition);
    assert.match(error.rawMessage, /^bucket: "made-later" does not exist at S3/);
    const batch = await refusal(
      client.service.batchPutObject({ requests: [{ key: "a" }, { bucket, key: "b", contentLength: 1n }] }),
    );
    assert.equal(batch.code, Code.FailedPrecondition);
    assert.match(batch.rawMessage, /^requests\[1\]\.bucket: "made-later" does not exist/);
    // The default bucket is signed for meanwhile.
    await client.upload("meanwhile.txt", Buffer.from("ok"));

    // Created behind presignd's back. (s3rver keeps a bucket as a directory; its
    // CreateBucket refuses the SDK's signature of the path "/made-later/".)
    await mkdir(join(dataDir, bucket));
    // Nobody polls /readyz here: the background re-check alone lets calls through.
    await waitFor(() => client.service.getObject({ bucket, key: "k" }).catch(() => undefined), 15_000);
    await client.upload("now.txt", Buffer.from("now"), { params: { bucket } });
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
  });

  it("CreateMultipartUpload past its deadline is DEADLINE_EXCEEDED, and the upload S3 made is aborted", async () => {
    process.env.AWS_ACCESS_KEY_ID = "S3RVER";
    process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
    const proxy = await startSlowProxy(new URL(s3.endpoint), 1_500);
    try {
      const server = await serve({ endpoint: proxy.url, region: "us-east-1" });
      const res = await fetch(`${server.url}/presign.v1.PresignService/CreateMultipartUpload`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": KEYS.admin, "connect-timeout-ms": "300" },
        body: JSON.stringify({ key: "slow/upload.bin", maxSize: String(20 * 1024 * 1024) }),
      });
      const body = await res.clone().text();
      assert.equal(res.status, 504, body);
      assert.equal(((await res.json()) as { code: string }).code, "deadline_exceeded");
      // S3 answers later with the upload id; presignd then aborts that upload.
      const deadline = Date.now() + 10_000;
      const aborted = () => proxy.requests.some((r) => /^DELETE \/ext-bucket\/slow\/upload\.bin\?uploadId=/.test(r));
      while (!aborted() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(aborted(), `no AbortMultipartUpload among ${JSON.stringify(proxy.requests)}`);
    } finally {
      await proxy.close();
    }
  });

  it("an unreachable S3 is unavailable, naming no host, port or exception class (RPC and /readyz)", async () => {
    process.env.AWS_ACCESS_KEY_ID = "S3RVER";
    process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
    const closed = await new Promise<number>((resolve) => {
      const probe = http.createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as AddressInfo;
        probe.close(() => resolve(port));
      });
    });
    const server = await serve({ endpoint: `http://127.0.0.1:${closed}`, region: "us-east-1" });
    const client = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.admin } });
    const error = await client.service.createMultipartUpload({ key: "k.bin", maxSize: 20n * 1024n * 1024n }).then(
      () => assert.fail("expected a refusal"),
      (e: unknown) => ConnectError.from(e),
    );
    assert.deepEqual(
      [error.code, error.rawMessage],
      [Code.Unavailable, "S3 did not answer CreateMultipartUpload; retry later"],
    );
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { reason: string };
    assert.equal(ready.reason, 'bucket "ext-bucket": S3 is unreachable; bucket "second": S3 is unreachable');
  });

  it("store profiles per bucket: MinIO warns without --public-endpoint; each bucket refuses what its store cannot do", async () => {
    process.env.AWS_ACCESS_KEY_ID = "S3RVER";
    process.env.AWS_SECRET_ACCESS_KEY = "S3RVER";
    const options = {
      dev: false,
      bucket: ["ext-bucket", "second"],
      region: "us-east-1",
      endpoint: s3.endpoint,
      provider: "minio",
      bucketProvider: ["second=b2"],
      policy: await writePolicy(ALLOW_ALL),
    };
    const server = await startTestServer(options);
    servers.push(server);
    const warnings = server.logs.filter(
      (l) => l.level === 40 && String(l.msg).startsWith("MinIO checks the signed Host"),
    );
    assert.equal(warnings.length, 1);
    const listening = server.logs.find((l) => String(l.msg).startsWith("presignd listening"));
    assert.deepEqual(
      (listening?.buckets as { provider: string; provider_from: string }[] | undefined)?.map((b) => [
        b.provider,
        b.provider_from,
      ]),
      [
        ["minio", "provider"],
        ["b2", "bucket-provider"],
      ],
    );
    const client = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.admin } });
    const form = await client.service.postPolicy({ key: "f.txt", maxContentLength: 10n });
    assert.match(form.url, /\/ext-bucket\/?$/, "path style: MinIO's addressing");
    const error = await refusal(client.service.postPolicy({ bucket: "second", key: "f.txt", maxContentLength: 10n }));
    assert.equal(error.code, Code.FailedPrecondition);
    assert.equal(error.rawMessage, "PostPolicy: Backblaze B2 does not implement POST Object; use PutObject");

    const named = await startTestServer({ ...options, bucketProvider: [], publicEndpoint: s3.endpoint });
    servers.push(named);
    assert.ok(!named.logs.some((l) => String(l.msg).startsWith("MinIO checks the signed Host")));
  });

  it("caps TTLs at --max-ttl and says so in expires_at", async () => {
    const server = await serve();
    const client = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.admin } });
    const res = await client.service.getObject({ key: "k", expiresIn: { seconds: 86400n } });
    assert.equal(new URL(res.url).searchParams.get("X-Amz-Expires"), "3600");
    const expiresAt = Number(res.expiresAt?.seconds) * 1000;
    assert.ok(Math.abs(expiresAt - Date.now() - 3_600_000) < 2_000);
  });

  it("writes --public-endpoint into URLs, and they work through that name", async () => {
    const port = new URL(s3.endpoint).port;
    const server = await serve({ publicEndpoint: `http://localhost:${port}` });
    const client = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.admin } });
    const res = await client.service.putObject({ key: "public.txt", contentLength: 6n });
    assert.equal(new URL(res.url).host, `localhost:${port}`);
    await client.upload("public.txt", Buffer.from("public"));
    const chunks: Buffer[] = [];
    await client.download("public.txt", new WritableStream({ write: (c) => void chunks.push(Buffer.from(c)) }));
    assert.equal(Buffer.concat(chunks).toString(), "public");
  });

  it("discovers each bucket's region from HeadBucket's x-amz-bucket-region (200 or 301)", async () => {
    process.env.AWS_ACCESS_KEY_ID = "AKIDTEST";
    process.env.AWS_SECRET_ACCESS_KEY = "secret";
    // Answers HeadBucket the way S3 does: the region header, even on a redirect.
    const fake = http.createServer((req, res) => {
      const region = req.url?.startsWith("/moved") ? "eu-west-2" : "ap-southeast-1";
      res.writeHead(req.url?.startsWith("/moved") ? 301 : 200, { "x-amz-bucket-region": region }).end();
    });
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
    try {
      const endpoint = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
      const server = await serve({ endpoint, bucket: ["here", "moved"] });
      const client = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.admin } });
      for (const [bucket, region] of [
        ["here", "ap-southeast-1"],
        ["moved", "eu-west-2"],
      ] as const) {
        const res = await client.service.getObject({ bucket, key: "k" });
        assert.match(
          new URL(res.url).searchParams.get("X-Amz-Credential") ?? "",
          new RegExp(`/${region}/s3/aws4_request$`),
        );
      }
    } finally {
      fake.close();
    }
  });

  it("warns at start and answers unavailable when the credential chain has nothing", async () => {
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const server = await startTestServer({
      dev: false,
      bucket: ["ext-bucket"],
      region: "us-east-1",
      endpoint: s3.endpoint,
      pathStyle: true,
      policy: await writePolicy(ALLOW_ALL),
    });
    servers.push(server);
    const warning = await waitFor(() => server.logs.find((l) => l.level === 40 && /^not ready/.test(String(l.msg))));
    assert.match(
      String(warning.msg),
      /^not ready at start: S3 credentials cannot be loaded \(CredentialsProviderError: .+\): set AWS_ACCESS_KEY_ID/,
    );
    const client = connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.admin } });
    const error = await client.service.getObject({ key: "k" }).catch((e: unknown) => e);
    assert.ok(error instanceof ConnectError);
    assert.equal(error.code, Code.Unavailable);
    assert.match(error.rawMessage, /cannot load its S3 credentials/);
  });
});
