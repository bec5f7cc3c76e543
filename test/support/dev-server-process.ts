import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { PRESIGND, ROOT } from "./run.js";

export interface DevServerProcess {
  /** presignd's URL, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** The embedded S3's endpoint. */
  readonly s3Endpoint: string;
  /** --dev-data-dir: the embedded S3's files. */
  readonly dataDir: string;
  /** SIGTERM, then waits for the exit and removes the data directory. */
  close(): Promise<void>;
}

/** `presignd serve --dev` (what `npm start` runs) as a real process on free ports, once it logged its URL. */
export async function startDevServerProcess(args: readonly string[] = []): Promise<DevServerProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), "presignd-dev-"));
  const child = spawn(
    PRESIGND,
    ["serve", "--dev", "--dev-data-dir", dataDir, "-a", "127.0.0.1:0", "--dev-s3-addr", "127.0.0.1:0", ...args],
    { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let stderr = "";
  child.stderr?.on("data", (c: Buffer) => {
    stderr += c.toString();
  });
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const { url, s3Endpoint } = await new Promise<{ url: string; s3Endpoint: string }>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in 30 s; stderr: ${stderr}`)), 30_000);
      let s3 = "";
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
        const entry = JSON.parse(line) as { msg?: string; url?: string; s3?: string };
        if (entry.s3) s3 = entry.s3;
        if (entry.msg?.startsWith("presignd listening") && entry.url) {
          clearTimeout(timer);
          resolve({ url: entry.url, s3Endpoint: s3 });
        }
      });
      void exited.then(() => reject(new Error(`presignd exited at start: ${stderr}`)));
    });
    return { url, s3Endpoint, dataDir, close };
  } catch (error) {
    await close();
    throw error;
  }
}
