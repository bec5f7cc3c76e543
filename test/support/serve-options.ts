import type { RawServeOptions } from "../../src/server/config/config.js";

/** The settings every `presignd serve` has before the ones a test is about (the CLI's defaults). */
export const SERVE_DEFAULTS: RawServeOptions = {
  addr: "127.0.0.1:8080",
  defaultTtl: "15m",
  maxTtl: "7d",
  logLevel: "info",
  logKeys: "hash",
  devDataDir: ".presignd/data",
  devS3Addr: "127.0.0.1:4568",
};
