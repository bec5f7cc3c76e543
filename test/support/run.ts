import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const BUF = `${ROOT}node_modules/.bin/buf`;
export const PRESIGND = `${ROOT}bin/presignd`;

export interface RunResult {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export interface StartOptions {
  /** Working directory (default: the repository). */
  readonly cwd?: string;
  readonly input?: Buffer | string;
  readonly env?: NodeJS.ProcessEnv;
  /** Kills the command (SIGKILL) if it still runs by then, e.g. a server expected to fail at start. */
  readonly timeoutMs?: number;
  /** A file descriptor for the command's stdout (as `> file` would give it) instead of a pipe. */
  readonly stdoutFd?: number;
  /** Keep stdin open (to write to it, or to stall a reader) instead of ending it after `input`. */
  readonly keepStdin?: boolean;
}

/** Starts a real command (no shell); `result` resolves when it exits, with what it wrote. */
export function start(
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): { child: ChildProcess; result: Promise<RunResult> } {
  const child = spawn(command, args, {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["pipe", options.stdoutFd ?? "pipe", "pipe"],
    ...(options.timeoutMs ? { timeout: options.timeoutMs, killSignal: "SIGKILL" as const } : {}),
  });
  const result = new Promise<RunResult>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on("data", (c: Buffer) => out.push(c));
    child.stderr?.on("data", (c: Buffer) => err.push(c));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() }));
  });
  if (options.input !== undefined) child.stdin?.write(options.input);
  if (!options.keepStdin) child.stdin?.end();
  return { child, result };
}

/** Runs a real command (no shell), feeding `input` on stdin, and waits for it to exit. */
export function run(command: string, args: readonly string[], options: StartOptions = {}): Promise<RunResult> {
  return start(command, args, options).result;
}
