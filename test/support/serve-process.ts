import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { PRESIGND, ROOT } from "./run.js";

/** A running `presignd serve` process, once it logged the URL it listens on. */
export interface ServeProcess {
  readonly url: string;
  /** Its JSON log lines so far. */
  readonly lines: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  /** Sends a signal (SIGHUP: reload the policy). */
  signal(signal: NodeJS.Signals): void;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `presignd serve ARGS` (real process, its own env on top of this one's) and waits for its listening line. */
export async function startServe(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; startTimeoutMs?: number } = {},
): Promise<ServeProcess> {
  const child = spawn(PRESIGND, ["serve", ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const lines: Record<string, unknown>[] = [];
  let stderr = "";
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no listening line; stderr: ${stderr}`)),
        options.startTimeoutMs ?? 60_000,
      );
      createInterface({ input: child.stdout }).on("line", (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        lines.push(entry);
        if (typeof entry.msg === "string" && entry.msg.startsWith("presignd listening")) {
          clearTimeout(timer);
          resolve(entry.url as string);
        }
      });
      void exited.then((code) => reject(new Error(`exited with ${code}: ${stderr}`)));
    });
    return {
      url,
      lines,
      exited,
      signal: (signal) => void child.kill(signal),
      stop: () => {
        child.kill("SIGTERM");
        return exited;
      },
    };
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
}
