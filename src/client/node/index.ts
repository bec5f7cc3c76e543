// @presignd/client/node: the client on Node, where sources and destinations
// may also be paths and Node streams. Browsers never load this entry.

import type { Readable, Writable } from "node:stream";
import type { UploadSource } from "../body/source.js";
import { clientOn, type PresignClientOf, type PresignClientOptions } from "../create-client.js";
import type { DownloadDestination } from "../download/destination.js";
import type { DownloadOptions, DownloadResult, ObjectTarget } from "../options.js";
import { nodePlatform } from "./node-platform.js";

export { Code, ConnectError } from "@connectrpc/connect";
// Everything of the universal entry (its public API, not internals), with Node's createPresignClient below.
export * from "../index.js";
export { PARTIAL_SUFFIX, partialFiles } from "./file-destination.js";
export { fileStateStore } from "./file-state-store.js";

/** What an upload reads on Node: also a file path or a Node stream (a file stream names the file). */
export type NodeUploadSource = UploadSource | string | Readable;
/** Where a download goes on Node: also a file path (parallel ranges, atomic rename) or a Node stream. */
export type NodeDownloadDestination = DownloadDestination | string | Writable;

/** Download options on Node: `keepPartial` keeps an interrupted file download for the next call to resume. */
export interface NodeDownloadOptions extends DownloadOptions {
  /**
   * For a path destination: keep `<path>.presignd-partial` and its checkpoint
   * after a failure, and resume from them next time if the object's ETag is
   * unchanged. Refused for other destinations.
   * @default false
   */
  readonly keepPartial?: boolean;
}

/** The client on Node: the universal API, with paths and Node streams as sources and destinations. */
export interface NodePresignClient
  extends Omit<PresignClientOf<NodeUploadSource, NodeDownloadDestination>, "download"> {
  download(target: ObjectTarget, destination?: undefined, options?: NodeDownloadOptions): Promise<Blob>;
  download(
    target: ObjectTarget,
    destination: NodeDownloadDestination,
    options?: NodeDownloadOptions,
  ): Promise<DownloadResult>;
}

/**
 * A client for presignd on Node.
 * @example const client = createPresignClient({ baseUrl: "http://127.0.0.1:8080" })
 */
export function createPresignClient(options: PresignClientOptions): NodePresignClient {
  return clientOn<NodeUploadSource, NodeDownloadDestination>(nodePlatform, options) as NodePresignClient;
}
