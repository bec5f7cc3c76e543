import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { connectPresignd } from "../../src/cli/node-client.js";
import { makePki, type TestPki } from "../support/certs.js";
import { PRESIGND, ROOT, run } from "../support/run.js";
import { WEBHOOK_SECRET } from "../support/webhook-receiver.js";

// `presignd serve --dev` as `npm start` runs it: logs, serves, stops cleanly.
describe("presignd serve --dev", () => {
  it("starts the embedded S3, serves real transfers and stops on SIGTERM", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "presignd-serve-"));
    const child = spawn(PRESIGND, ["serve", "--dev", "--dev-data-dir", dataDir], {
      cwd: ROOT,
      env: { ...process.env, PRESIGND_ADDR: "127.0.0.1:0", PRESIGND_DEV_S3_ADDR: "127.0.0.1:0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: Record<string, unknown>[] = [];
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line; stderr: ${stderr}`)), 15_000);
        createInterface({ input: child.stdout }).on("line", (line) => {
          const entry = JSON.parse(line) as Record<string, unknown>;
          lines.push(entry);
          if (entry.msg === "presignd listening (HTTP/1.1 and h2c)") {
            clearTimeout(timer);
            resolve(entry.url as string);
          }
        });
        child.once("exit", (code) => reject(new Error(`exited with ${code}: ${stderr}`)));
      });
      assert.match(lines[0]?.msg as string, /^DEVELOPMENT MODE: embedded local S3/);
      assert.equal(lines[0]?.level, 40, "development mode is logged as a warning");

      const client = connectPresignd({ baseUrl: url, transport: "grpc" });
      await client.upload("served.txt", Buffer.from("served"));
      const chunks: Uint8Array[] = [];
      await client.download("served.txt", new WritableStream({ write: (c) => void chunks.push(c) }));
      assert.equal(Buffer.concat(chunks).toString(), "served");

      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      assert.equal(await exited, 0);
      assert.ok(lines.some((l) => l.msg === "shutting down" && l.signal === "SIGTERM"));
      assert.equal(stderr, "", "nothing on stderr (no warnings, no stack traces)");
    } finally {
      child.kill("SIGKILL");
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  describe("start-up failures are one line naming the setting, and exit non-zero", () => {
    let busy: net.Server;
    let busyAddr: string;
    let closedPort: number;
    let dir: string;
    let pki: TestPki;
    before(async () => {
      busy = net.createServer();
      await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
      busyAddr = `127.0.0.1:${(busy.address() as net.AddressInfo).port}`;
      const probe = net.createServer();
      await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
      closedPort = (probe.address() as net.AddressInfo).port;
      await new Promise((resolve) => probe.close(resolve));
      dir = await mkdtemp(join(tmpdir(), "presignd-start-"));
      await writeFile(join(dir, "garbage.pem"), "not a certificate\n");
      pki = makePki();
    });
    after(async () => {
      busy.close();
      await rm(dir, { recursive: true, force: true });
    });

    const serveDev = (...args: string[]) =>
      run(PRESIGND, ["serve", "--dev", "--dev-data-dir", join(dir, "data"), ...args], {
        env: { PRESIGND_ADDR: "127.0.0.1:0", PRESIGND_DEV_S3_ADDR: "127.0.0.1:0" },
        timeoutMs: 20_000,
      });

    const cases: [string, () => string[], RegExp][] = [
      [
        "the embedded S3's port is taken",
        () => ["--dev-s3-addr", busyAddr],
        /^presignd: --dev-s3-addr \(PRESIGND_DEV_S3_ADDR\): 127\.0\.0\.1:\d+ is already in use \(another presignd or dev server\?\): stop it, or choose another address with --dev-s3-addr\n$/,
      ],
      [
        "the main port is taken",
        () => ["-a", busyAddr],
        /^presignd: --addr \(PRESIGND_ADDR\): 127\.0\.0\.1:\d+ is already in use \(another presignd or dev server\?\): stop it, or choose another address with -a\/--addr\n$/,
      ],
      [
        "the policy file does not exist",
        () => ["--policy", join(dir, "nope.yaml")],
        /^presignd: --policy \(PRESIGND_POLICY\): cannot read .*nope\.yaml: ENOENT[^\n]*\n$/,
      ],
      [
        "the policy file is a directory",
        () => ["--policy", dir],
        /^presignd: --policy \(PRESIGND_POLICY\): cannot read .*: EISDIR[^\n]*\n$/,
      ],
      [
        "the TLS certificate does not exist",
        () => ["--tls-cert", join(dir, "nope.crt"), "--tls-key", pki.serverKey],
        /^presignd: --tls-cert \(PRESIGND_TLS_CERT\): cannot read .*nope\.crt: ENOENT[^\n]*\n$/,
      ],
      [
        "the TLS certificate is not one",
        () => ["--tls-cert", join(dir, "garbage.pem"), "--tls-key", pki.serverKey],
        /^presignd: --tls-cert \(PRESIGND_TLS_CERT\): .*garbage\.pem is not a PEM certificate \([^\n]+\)\n$/,
      ],
      [
        "the TLS key is not one",
        () => ["--tls-cert", pki.serverCert, "--tls-key", pki.serverCert],
        /^presignd: --tls-key \(PRESIGND_TLS_KEY\): .*server\.crt is not a PEM private key \([^\n]+\)\n$/,
      ],
      [
        "the TLS key is another certificate's",
        () => ["--tls-cert", pki.serverCert, "--tls-key", pki.client("mismatch").key],
        /^presignd: --tls-key \(PRESIGND_TLS_KEY\): .*client-mismatch\.key is not the private key of the certificate in .*server\.crt\n$/,
      ],
      [
        "the client CA is not a certificate",
        () => ["--tls-cert", pki.serverCert, "--tls-key", pki.serverKey, "--tls-client-ca", join(dir, "garbage.pem")],
        /^presignd: --tls-client-ca \(PRESIGND_TLS_CLIENT_CA\): .*garbage\.pem is not a PEM certificate \([^\n]+\)\n$/,
      ],
      [
        "the PostgreSQL handle store does not answer",
        () => ["--handle-store", `postgres://presignd:hunter2@127.0.0.1:${closedPort}/presignd`],
        /^presignd: --handle-store \(PRESIGND_HANDLE_STORE\): cannot open postgres:\/\/presignd:REDACTED@127\.0\.0\.1:\d+\/presignd: connect ECONNREFUSED[^\n]*\n$/,
      ],
      [
        "webhooks without a handle store",
        () => ["--handle-store", "", "--webhook-url", "http://127.0.0.1:9/hooks", "--webhook-secret", WEBHOOK_SECRET],
        /^presignd: --webhook-url \(PRESIGND_WEBHOOK_URL\): webhooks deliver the upload events kept in the handle store: set --handle-store \(PRESIGND_HANDLE_STORE\) too \(SQLite, or PostgreSQL shared by instances\)\n$/,
      ],
      [
        "a webhook URL without a secret",
        () => ["--webhook-url", "https://backend.example/hooks"],
        /^presignd: --webhook-secret \(PRESIGND_WEBHOOK_SECRET\): is required with a webhook URL, to sign each delivery: [^\n]+\n$/,
      ],
      [
        "a webhook secret that is not one (never repeated)",
        () => ["--webhook-url", "https://backend.example/hooks", "--webhook-secret", "hunter2!"],
        /^presignd: --webhook-secret \(PRESIGND_WEBHOOK_SECRET\): is not a Standard Webhooks secret: [^\n]+\n$/,
      ],
      [
        "a webhook URL that is not one",
        () => ["--webhook-url", "backend.example/hooks", "--webhook-secret", WEBHOOK_SECRET],
        /^presignd: --webhook-url \(PRESIGND_WEBHOOK_URL\): not a URL like https:\/\/backend\.example\/hooks\/presignd\n$/,
      ],
      [
        "the data directory cannot be created",
        () => ["--dev-data-dir", join(dir, "garbage.pem", "data")],
        /^presignd: --dev-data-dir \(PRESIGND_DEV_DATA_DIR\): cannot create .*garbage\.pem\/data: ENOTDIR[^\n]*\n$/,
      ],
    ];
    for (const [name, args, message] of cases) {
      it(name, async () => {
        const res = await serveDev(...args());
        assert.equal(res.code, 1, res.stderr);
        assert.match(res.stderr, message);
        assert.doesNotMatch(res.stderr, /hunter2/);
      });
    }
  });
});
