import { connectPresignd, type NodePresignClient } from "../../src/cli/node-client.js";
import { parseServeOptions, type RawServeOptions } from "../../src/server/config/config.js";
import { createLogger } from "../../src/server/logging/logger.js";
import { type RunningServer, startServer } from "../../src/server/start.js";
import { ALLOW_ALL, KEYS, writePolicy } from "./policy.js";
import { PRESIGND, type RunResult, run } from "./run.js";

/** The RGW cluster scripts/test-conformance.sh started (its env file, sourced). */
export interface Rgw {
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
}

export function rgwFromEnv(): Rgw {
  const endpoint = process.env.RGW_ENDPOINT;
  const bucket = process.env.RGW_BUCKET;
  if (!endpoint || !bucket || !process.env.AWS_ACCESS_KEY_ID) {
    throw new Error("no RGW cluster in the environment: run these tests with `npm run test:conformance`");
  }
  return { endpoint, bucket, port: Number(new URL(endpoint).port) };
}

export interface RgwPresignd {
  readonly server: RunningServer;
  readonly client: NodePresignClient;
}

/** presignd in front of RGW with the ceph store profile, credentials from the SDK chain (the env file). */
export async function presigndForRgw(rgw: Rgw, options: Partial<RawServeOptions> = {}): Promise<RgwPresignd> {
  const config = parseServeOptions({
    policy: await writePolicy(ALLOW_ALL),
    addr: "127.0.0.1:0",
    defaultTtl: "15m",
    maxTtl: "7d",
    logLevel: "silent",
    logKeys: "none",
    devDataDir: "",
    devS3Addr: "",
    bucket: [rgw.bucket],
    region: "us-east-1",
    endpoint: rgw.endpoint,
    pathStyle: true,
    provider: "ceph",
    ...options,
  });
  const server = await startServer(config, createLogger("silent"));
  return { server, client: connectPresignd({ baseUrl: server.url, headers: { "x-api-key": KEYS.admin } }) };
}

/** What `presignd notifications setup` needs, as a test gives it. */
export interface RgwNotificationSetup {
  readonly bucket: string;
  readonly secret: string;
  readonly policy: string;
  /** presignd's /s3-notifications, where RGW pushes. */
  readonly pushEndpoint: string;
  readonly topic: string;
}

/** Runs the real `presignd notifications setup` against RGW: a topic pushing to presignd, the bucket's notification. */
export function setupRgwNotifications(rgw: Rgw, setup: RgwNotificationSetup): Promise<RunResult> {
  return run(PRESIGND, [
    "notifications",
    "setup",
    ...["--policy", setup.policy, "--endpoint", rgw.endpoint, "-r", "us-east-1", "--provider", "ceph"],
    ...["-b", setup.bucket, "--notification-secret", setup.secret, "--topic", setup.topic],
    ...["--push-endpoint", setup.pushEndpoint],
  ]);
}
