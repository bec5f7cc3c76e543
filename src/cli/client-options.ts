import { Option } from "commander";
import { createPresignClient, type PresignClient, type TransportName } from "../client/create-client.js";

/** Options every client command shares. */
export interface ClientFlags {
  server: string;
  transport: TransportName;
  bucket?: string;
  quiet?: boolean;
}

export const clientOptions = (): Option[] => [
  new Option("-s, --server <url>", "presignd server URL").env("PRESIGND_SERVER").default("http://127.0.0.1:8080"),
  new Option("--transport <protocol>", "RPC protocol").choices(["connect", "grpc", "grpc-web"]).default("connect"),
  new Option("--bucket <name>", "bucket (default: the server's default bucket)"),
  new Option("-q, --quiet", "no progress bar"),
];

export function clientFor(flags: ClientFlags): PresignClient {
  return createPresignClient({ baseUrl: flags.server, transport: flags.transport });
}
