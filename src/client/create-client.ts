import { type Client, createClient } from "@connectrpc/connect";
import { PresignService } from "../gen/client/presign/v1/presign_pb.js";
import type { UploadSource } from "./body/source.js";
import type { ClientContext } from "./client-context.js";
import type { DownloadDestination } from "./download/destination.js";
import { download } from "./download/download.js";
import { deleteObject } from "./object/delete-object.js";
import { headObject } from "./object/head-object.js";
import {
  type ConfirmExpectations,
  type ConfirmedUpload,
  DEFAULTS,
  type DownloadOptions,
  type DownloadResult,
  type FormTarget,
  type HeadResult,
  type LandedUpload,
  type ObjectRequestOptions,
  type ObjectTarget,
  type TransferResult,
  type UploadFormOptions,
  type UploadOptions,
  type UploadResult,
  type WatchOptions,
} from "./options.js";
import { checkFormOptions, targetFields } from "./options-check.js";
import { type Platform, universalPlatform } from "./platform.js";
import { type ConnectionOptions, transportFor } from "./transport.js";
import { confirmUpload } from "./upload/confirm.js";
import { uploadForm } from "./upload/form.js";
import { ProgressMeter } from "./upload/progress-meter.js";
import { upload } from "./upload/upload.js";
import { watchUploads } from "./watch/watch-uploads.js";

export type PresignClientOptions = ConnectionOptions;

/** A PresignService client that also moves the bytes. Sources and destinations are typed per platform. */
export interface PresignClientOf<Source, Destination> {
  /** The generated, typed PresignService client, for the RPCs themselves. */
  readonly service: Client<typeof PresignService>;
  /**
   * Uploads the source: one presigned PUT, or above `multipartThreshold` a
   * multipart upload with parallel parts (resumable with `resume`).
   * @example await client.upload("photos/cat.jpg", file, { onProgress: (p) => bar(p.transferred / p.total) })
   */
  upload(target: ObjectTarget, source: Source, options?: UploadOptions): Promise<UploadResult>;
  /**
   * Asks presignd whether an upload landed and is what was signed
   * (ConfirmUpload). Rejects with RpcError: FailedPrecondition naming what
   * differs, NotFound when the object is not there yet.
   * @example const object = await client.confirmUpload("photos/cat.jpg", { expect: { contentLength: file.size } })
   */
  /**
   * The uploads that land under a key prefix, as presignd verified them
   * (WatchUploads), reconnecting from the last cursor when the stream breaks.
   * @example for await (const up of client.watchUploads("users/alice/")) console.log(up.key, up.size)
   */
  watchUploads(prefix: string, options?: WatchOptions): AsyncGenerator<LandedUpload>;
  confirmUpload(
    target: ObjectTarget,
    options?: { readonly bucket?: string; readonly expect?: ConfirmExpectations; readonly signal?: AbortSignal },
  ): Promise<ConfirmedUpload>;
  /**
   * Downloads the object. Without a destination it resolves to a Blob; into
   * a destination that takes positioned writes (a file, a File System Access
   * handle), in parallel ranges.
   * @example const blob = await client.download("photos/cat.jpg")
   */
  download(target: ObjectTarget, destination?: undefined, options?: DownloadOptions): Promise<Blob>;
  download(target: ObjectTarget, destination: Destination, options?: DownloadOptions): Promise<DownloadResult>;
  /**
   * Gets a POST policy and uploads the source as a form (what a browser
   * `<form>` would send). `{ keyPrefix }` stores it under the prefix plus the
   * file's name.
   */
  uploadForm(
    target: FormTarget,
    source: Source,
    options?: UploadFormOptions,
  ): Promise<TransferResult & { readonly key?: string }>;
  /**
   * Presigns a HEAD of the object and sends it: its size, type, ETag,
   * last-modified time and metadata. A missing object is S3Error 404.
   * (`service.headObject` only presigns.)
   * @example const { size, contentType } = await client.headObject("photos/cat.jpg")
   */
  headObject(target: ObjectTarget, options?: ObjectRequestOptions): Promise<HeadResult>;
  /**
   * Presigns a DELETE of the object (or of `params.versionId`) and sends it.
   * S3 answers success for a key that does not exist, too.
   * @example await client.deleteObject("photos/cat.jpg")
   */
  deleteObject(target: ObjectTarget, options?: ObjectRequestOptions): Promise<void>;
}

/** The client of the universal entry: Blobs, bytes and Web streams. */
export type PresignClient = PresignClientOf<UploadSource, DownloadDestination>;

/**
 * A client for presignd that moves the bytes itself, straight to and from S3.
 * @example const client = createPresignClient({ baseUrl: "https://presign.example.com" })
 */
export function createPresignClient(options: PresignClientOptions): PresignClient {
  return clientOn(universalPlatform, options);
}

/** The client on a platform (the Node entry passes its own). @private */
export function clientOn<S, D>(platform: Platform, options: PresignClientOptions): PresignClientOf<S, D> {
  const service = createClient(PresignService, transportFor(options));
  const context: ClientContext = { service, platform };
  return {
    service,
    upload: (target, source, opts) => upload(context, target, source, opts),
    confirmUpload: (target, opts) => confirmUpload(context, target, opts),
    watchUploads: (prefix, opts) => watchUploads(context, prefix, opts),
    headObject: (target, opts) => headObject(context, target, opts),
    deleteObject: (target, opts) => deleteObject(context, target, opts),
    download: (async (target: ObjectTarget, destination?: D, opts?: DownloadOptions) => {
      const { result, blob } = await download(context, target, destination, opts);
      return destination === undefined ? blob : result;
    }) as PresignClientOf<S, D>["download"],
    async uploadForm(target, source, opts = {}) {
      checkFormOptions(opts);
      const fields = targetFields(target);
      let opened = await platform.openSource(source);
      let cleanup = async () => {};
      if (opened.kind === "stream") {
        const spooled = await platform.spool(opened);
        cleanup = spooled.cleanup;
        opened = spooled;
      }
      try {
        const meter = new ProgressMeter(opts.onProgress, opened.size);
        return await uploadForm(
          context,
          fields,
          opened,
          opts.params ?? {},
          {
            signal: opts.signal,
            retries: opts.retries ?? DEFAULTS.retries,
            idleTimeout: opts.idleTimeout ?? DEFAULTS.idleTimeout,
          },
          meter,
        );
      } finally {
        await cleanup();
      }
    },
  };
}
