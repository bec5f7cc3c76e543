import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { appendFileSync, mkdirSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { after, before } from "node:test";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { connectPresignd, type NodePresignClient } from "../../src/cli/node-client.js";
import type { AppDeps } from "../../src/server/app.js";
import { parseServeOptions, type RawServeOptions } from "../../src/server/config/config.js";
import { createLogger } from "../../src/server/logging/logger.js";
import { type RunningServer, startServer } from "../../src/server/start.js";
import { writePolicy } from "./policy.js";

export interface TestServer extends RunningServer {
  /** Every log line the server wrote, parsed. */
  readonly logs: Record<string, unknown>[];
  /** Raw log text, for secret scans. */
  logText(): string;
  /** The embedded S3's files (--dev-data-dir). */
  readonly dataDir: string;
}

/**
 * A real presignd in development mode: embedded S3 (s3rver) on a free port
 * with its data in a fresh temporary directory, RPC server on a free port.
 */
export async function startTestServer(
  overrides: Partial<RawServeOptions> = {},
  /** What to compose differently, e.g. `{ rpcAdapter: connectNodeAdapter }`: connect-es's adapter alone, no fast path. */
  start: Pick<AppDeps, "rpcAdapter" | "tracing" | "webhookTiming"> = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), "presignd-test-"));
  const lines: string[] = [];
  // Every line also goes to PRESIGND_TEST_LOG_DIR (set by `npm test`), which
  // test/log-scan.test.ts searches for secrets after the whole suite ran.
  if (process.env.PRESIGND_TEST_LOG_DIR) mkdirSync(process.env.PRESIGND_TEST_LOG_DIR, { recursive: true });
  const logFile = process.env.PRESIGND_TEST_LOG_DIR
    ? join(process.env.PRESIGND_TEST_LOG_DIR, `${process.pid}-${randomUUID()}.log`)
    : undefined;
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(...String(chunk).split("\n").filter(Boolean));
      if (logFile) appendFileSync(logFile, chunk as Buffer);
      callback();
    },
  });
  const config = parseServeOptions({
    addr: "127.0.0.1:0",
    defaultTtl: "15m",
    maxTtl: "7d",
    logLevel: "debug",
    logKeys: "full",
    dev: true,
    devDataDir: dataDir,
    devS3Addr: "127.0.0.1:0",
    ...overrides,
  });
  const server = await startServer(config, createLogger(config.logLevel, sink), start);
  return {
    ...server,
    get logs() {
      return lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    logText: () => lines.join("\n"),
    dataDir,
    close: async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Registers before/after hooks in the current suite: a test server and a
 * client for it, started before the suite's tests and stopped after them.
 */
export function serverForSuite(overrides: Partial<RawServeOptions> = {}): {
  readonly server: TestServer;
  readonly client: NodePresignClient;
} {
  let started: { server: TestServer; client: NodePresignClient } | undefined;
  before(async () => {
    const server = await startTestServer(overrides);
    started = { server, client: connectPresignd({ baseUrl: server.url }) };
  });
  after(() => started?.server.close());
  const get = () => started ?? assert.fail("the suite's server is not started yet (use it inside tests)");
  return {
    get server() {
      return get().server;
    },
    get client() {
      return get().client;
    },
  };
}

/**
 * Registers before/after hooks in the current suite: two servers with the
 * same policy, one composed as in production (the unary fast path) and one
 * with connect-es's adapter alone, for tests that compare their answers.
 */
export function fastPathAndAdapterForSuite(policyText: string): {
  readonly fast: TestServer;
  readonly adapter: TestServer;
} {
  let started: { fast: TestServer; adapter: TestServer } | undefined;
  before(async () => {
    const policy = await writePolicy(policyText);
    const fast = await startTestServer({ policy });
    started = { fast, adapter: await startTestServer({ policy }, { rpcAdapter: connectNodeAdapter }) };
  });
  after(async () => {
    await started?.fast.close();
    await started?.adapter.close();
  });
  const get = () => started ?? assert.fail("the suite's servers are not started yet (use them inside tests)");
  return {
    get fast() {
      return get().fast;
    },
    get adapter() {
      return get().adapter;
    },
  };
}
