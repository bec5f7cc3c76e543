// presignd writes its log asynchronously (src/server/logging/logger.ts): a
// SIGTERM right after a burst of RPCs still finds every line on stdout, also
// when stdout is a pipe nobody reads for a while.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { PRESIGND, ROOT } from "../support/run.js";

const REQUESTS = 400;

it("no log line is lost on SIGTERM: every RPC's line and audit record, then 'stopped'", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "presignd-log-flush-"));
  try {
    const child = spawn(
      PRESIGND,
      ["serve", "--dev", "--dev-data-dir", dataDir, "-a", "127.0.0.1:0", "--dev-s3-addr", "127.0.0.1:0"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, PRESIGND_LOG_KEYS: "hash" } },
    );
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    let text = "";
    child.stdout.on("data", (chunk: Buffer) => {
      text += chunk.toString();
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in: ${text}`)), 15_000);
      const look = () => {
        const line = /"url":"(http:[^"]+)"[^\n]*presignd listening/.exec(text);
        if (line?.[1]) {
          clearTimeout(timer);
          child.stdout.off("data", look);
          resolve(line[1]);
        }
      };
      child.stdout.on("data", look);
    });
    // Stdout is not read during the burst and the SIGTERM: the pipe fills (64 KiB), so the
    // server's last writes are still in flight when it decides to exit.
    child.stdout.pause();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
    const ids = Array.from({ length: REQUESTS }, (_, i) => `flush-${i}`);
    const statuses = await Promise.all(
      ids.map(
        (id) =>
          new Promise<number>((resolve, reject) => {
            const req = http.request(
              `${url}/presign.v1.PresignService/GetObject`,
              { method: "POST", agent, headers: { "content-type": "application/json", "x-request-id": id } },
              (res) => {
                res.resume();
                res.on("end", () => resolve(res.statusCode ?? 0));
              },
            );
            req.on("error", reject);
            req.end(JSON.stringify({ key: `flush/${id}` }));
          }),
      ),
    );
    agent.destroy();
    assert.deepEqual(new Set(statuses), new Set([200]));
    // At once: the lines of the last RPCs may still be in the logger's buffer.
    child.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 500));
    child.stdout.resume();
    assert.equal(await exited, 0);
    const lines = text
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const rpc = new Set(lines.filter((l) => l.msg === "rpc").map((l) => l.request_id));
    const audit = new Set(lines.filter((l) => l.audit === true).map((l) => l.request_id));
    assert.deepEqual(
      ids.filter((id) => !rpc.has(id)),
      [],
      "RPCs without their log line",
    );
    assert.deepEqual(
      ids.filter((id) => !audit.has(id)),
      [],
      "RPCs without their audit record",
    );
    assert.equal(lines.at(-1)?.msg, "stopped");
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
});
