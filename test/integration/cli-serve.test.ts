import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, it } from "node:test";
import { createPresignClient } from "../../src/client/create-client.js";
import { PRESIGND, ROOT } from "../support/run.js";

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

      const client = createPresignClient({ baseUrl: url, transport: "grpc" });
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
});
