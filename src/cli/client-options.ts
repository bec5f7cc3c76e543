import { Option } from "commander";
import { connectPresignd, type NodePresignClient, type TransportName } from "./node-client.js";

/** Options every client command shares. */
export interface ClientFlags {
  server: string;
  transport: TransportName;
  bucket?: string;
  quiet?: boolean;
  apiKey?: string;
  token?: string;
}

export const clientOptions = (): Option[] => [
  new Option("-s, --server <url>", "presignd server URL").env("PRESIGND_SERVER").default("http://127.0.0.1:8080"),
  new Option("--transport <protocol>", "RPC protocol").choices(["connect", "grpc", "grpc-web"]).default("connect"),
  new Option("--bucket <name>", "bucket (default: the server's default bucket)"),
  new Option("-q, --quiet", "no progress bar"),
  new Option("--api-key <key>", "API key for presignd").env("PRESIGND_API_KEY"),
  new Option("--token <jwt>", "bearer JWT for presignd").env("PRESIGND_TOKEN"),
];

export function clientFor(flags: ClientFlags): NodePresignClient {
  const headers: Record<string, string> = {};
  if (flags.token) headers.authorization = `Bearer ${flags.token}`;
  else if (flags.apiKey) headers["x-api-key"] = flags.apiKey;
  return connectPresignd({ baseUrl: checkServerUrl(flags.server), transport: flags.transport, headers });
}

/** -s/--server must be an http(s) URL: "127.0.0.1:8080" would fail later as "Invalid URL". */
function checkServerUrl(value: string): string {
  const setting = "-s/--server (PRESIGND_SERVER)";
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    // not a URL at all
  }
  if (!url || !value.includes("://")) {
    throw new Error(`${setting}: "${value}" is not a URL: did you mean http://${value}?`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new Error(`${setting}: "${value}" must be an http:// or https:// URL`);
  }
  return value;
}
