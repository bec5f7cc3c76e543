import { type Logger, pino } from "pino";

const CENSOR = "[REDACTED]";
/** Secret-bearing property names, censored one level below any logged field. */
const SECRET_FIELDS = ["secretAccessKey", "sessionToken", "credentials", "authorization", "url", "secret"];

/**
 * The server's JSON logger. Secret-bearing fields are censored wherever they
 * appear, as a second line of defence behind never logging them: pino's
 * redact paths `*.secretAccessKey`, `*.sessionToken`, `*.credentials`, `*.secret`,
 * `*.authorization`, `*.headers.authorization` and `*.url`, checked by a log
 * formatter instead of pino's `redact` option, which parses every path and
 * clones for every line (~15 µs per line, a log line per RPC); a line of
 * plain values, as every per-RPC line is, passes through untouched.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const logger = pino(
    {
      level,
      base: { service: "presignd" },
      formatters: { log: censorSecrets },
    },
    destination ?? stdoutDestination(),
  );
  if (!destination) reportDrops(logger);
  return logger;
}

/** At most this many bytes of log lines wait for stdout; beyond it, lines are dropped and counted. */
export const LOG_BUFFER_BYTES = 16 * 1024 * 1024;

let stdout: ReturnType<typeof pino.destination> | undefined;
let dropped = 0;

/**
 * stdout without blocking the request: pino's asynchronous destination
 * (sonic-boom) appends each line to a buffer and writes while the event loop
 * runs, many lines per write under load, none delayed when idle. One per
 * process. Before exiting, await endLog(): pino's own exit hook
 * (flushSync) skips a line whose asynchronous write is still in flight, so a
 * process.exit right after the last line could lose it.
 */
function stdoutDestination(): ReturnType<typeof pino.destination> {
  if (!stdout) {
    stdout = pino.destination({ dest: 1, sync: false, maxLength: LOG_BUFFER_BYTES });
    stdout.on("drop", () => {
      dropped += 1;
    });
  }
  return stdout;
}

/** How long endLog() waits for stdout (a blocked pipe must not hold the exit). */
const END_LOG_TIMEOUT_MS = 2000;

/**
 * Writes out every buffered log line, in-flight write included, then resolves
 * (after END_LOG_TIMEOUT_MS at most). For the last step before process.exit:
 * once it resolves, stdout lines can no longer be written.
 */
export function endLog(): Promise<void> {
  const destination = stdout;
  if (!destination) return Promise.resolve();
  stdout = undefined;
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, END_LOG_TIMEOUT_MS);
    destination.once("close", () => {
      clearTimeout(timer);
      resolve();
    });
    destination.end();
  });
}

/** Lines dropped because stdout fell LOG_BUFFER_BYTES behind: one warning a second, with the count. */
function reportDrops(logger: Logger): void {
  setInterval(() => {
    if (dropped === 0) return;
    const count = dropped;
    dropped = 0;
    logger.warn({ dropped_lines: count }, `stdout fell ${LOG_BUFFER_BYTES} bytes behind: log lines were dropped`);
  }, 1000).unref();
}

/** The logged object with SECRET_FIELDS censored in each of its object-valued fields; never mutates it. */
export function censorSecrets(object: Record<string, unknown>): Record<string, unknown> {
  let out = object;
  for (const key in object) {
    const value = object[key];
    if (typeof value !== "object" || value === null) continue;
    const censored = censorFields(value as Record<string, unknown>);
    if (censored === value) continue;
    if (out === object) out = { ...object };
    out[key] = censored;
  }
  return out;
}

function censorFields(value: Record<string, unknown>): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const name of SECRET_FIELDS) {
    if (name in value) {
      copy ??= clone(value);
      copy[name] = CENSOR;
    }
  }
  const headers = value.headers;
  if (typeof headers === "object" && headers !== null && "authorization" in headers) {
    copy ??= clone(value);
    copy.headers = { ...clone(headers as Record<string, unknown>), authorization: CENSOR };
  }
  return copy ?? value;
}

/** A shallow copy keeping the prototype and non-enumerable own properties (an Error's message and stack). */
function clone(value: Record<string, unknown>): Record<string, unknown> {
  if (Array.isArray(value)) return [...value] as unknown as Record<string, unknown>;
  const copy = Object.create(Object.getPrototypeOf(value), Object.getOwnPropertyDescriptors(value));
  // Since Node 22 (its V8) an error's own `stack` is an accessor that reads the original error's
  // internal slot: copied, it answers undefined, so the copy gets the value instead.
  if (value instanceof Error) {
    Object.defineProperty(copy, "stack", { value: value.stack, writable: true, configurable: true });
  }
  return copy;
}
