import { parseServeOptions, type RawServeOptions } from "../../src/server/config/config.js";
import { createLogger } from "../../src/server/logging/logger.js";
import { type RunningServer, startServer } from "../../src/server/start.js";
import { ALLOW_ALL, writePolicy } from "./policy.js";

/**
 * presignd outside development mode, in front of an S3 endpoint (credentials
 * from the SDK chain: the environment), with the admin-only policy unless
 * `options` says otherwise; silent logs.
 */
export async function startProductionServer(
  options: Partial<RawServeOptions> & Pick<RawServeOptions, "endpoint" | "bucket">,
): Promise<RunningServer> {
  const config = parseServeOptions({
    policy: await writePolicy(ALLOW_ALL),
    addr: "127.0.0.1:0",
    defaultTtl: "15m",
    maxTtl: "1h",
    logLevel: "silent",
    logKeys: "none",
    devDataDir: "",
    devS3Addr: "",
    pathStyle: true,
    // No balancer to tell: close() need not keep serving first.
    drainDelay: "0s",
    ...options,
  });
  return startServer(config, createLogger("silent"));
}
