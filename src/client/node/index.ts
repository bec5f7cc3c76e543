// @presignd/client/node: the client on Node, where sources and destinations
// may also be paths and Node streams. Browsers never load this entry.

import type { Readable, Writable } from "node:stream";
import type { UploadSource } from "../body/source.js";
import { clientOn, type PresignClientOf, type PresignClientOptions } from "../create-client.js";
import type { DownloadDestination } from "../download/destination.js";
import type { DownloadOptions } from "../options.js";
import { nodePlatform } from "./node-platform.js";

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

export interface NodePresignClient
  extends Omit<PresignClientOf<NodeUploadSource, NodeDownloadDestination>, "download"> {
  download(
    target: string | { readonly handle: string },
    destination?: undefined,
    options?: NodeDownloadOptions,
  ): Promise<Blob>;
  download(
    target: string | { readonly handle: string },
    destination: NodeDownloadDestination,
    options?: NodeDownloadOptions,
  ): ReturnType<PresignClientOf<NodeUploadSource, NodeDownloadDestination>["download"]>;
}

/** A client for presignd on Node. */
export function createPresignClient(options: PresignClientOptions): NodePresignClient {
  return clientOn<NodeUploadSource, NodeDownloadDestination>(nodePlatform, options) as NodePresignClient;
}
