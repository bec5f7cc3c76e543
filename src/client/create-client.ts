import { Readable } from "node:stream";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Transport } from "@connectrpc/connect";
import { type Client, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import {
  type GetObjectRequestSchema,
  type PostPolicyRequestSchema,
  PresignService,
  type PutObjectRequestSchema,
} from "../gen/presign/v1/presign_pb.js";
import { fillFilename, multipartForm } from "./multipart-form.js";
import { uploadMultipart } from "./multipart-upload.js";
import { downloadRanged } from "./ranged-download.js";
import {
  type DownloadDestination,
  type OpenedSource,
  openSource,
  type UploadSource,
  withKnownSize,
} from "./sources.js";
import { downloadPresigned, type TransferOptions, type TransferResult, uploadPresigned } from "./transfer.js";

export type TransportName = "connect" | "grpc" | "grpc-web";

export interface PresignClientOptions {
  /** presignd's base URL, e.g. http://127.0.0.1:8080 */
  readonly baseUrl: string;
  /** Protocol to speak (default "connect"). gRPC always uses HTTP/2. */
  readonly transport?: TransportName;
  /** HTTP version for Connect and gRPC-Web (default "1.1"; gRPC is always "2"). */
  readonly httpVersion?: "1.1" | "2";
  /** Headers sent with every RPC, e.g. { authorization: "Bearer …" }. */
  readonly headers?: Readonly<Record<string, string>>;
  /** For an https baseUrl: a private CA to trust, and a client certificate for mTLS (PEM). */
  readonly tls?: { readonly ca?: string | Buffer; readonly cert?: string | Buffer; readonly key?: string | Buffer };
}

type GetOptions = Omit<MessageInitShape<typeof GetObjectRequestSchema>, "key" | "$typeName">;
type PutOptions = Omit<MessageInitShape<typeof PutObjectRequestSchema>, "key" | "contentLength" | "$typeName">;

/** How `upload` handles large objects and streams of unknown length. */
export interface UploadPlan {
  /** Sources larger than this go multipart (default 64 MiB); streams of unknown length always do. */
  readonly multipartThreshold?: number;
  /** Multipart: bytes per part, parallel parts, a stream's size bound, a resume state file. */
  readonly partSize?: number;
  readonly concurrency?: number;
  readonly maxSize?: number;
  readonly resumeState?: string;
}

/** How `download` fetches into a file. */
export interface DownloadPlan {
  /** Parallel ranged GETs (default 4) of `chunkSize` bytes (default 16 MiB). */
  readonly concurrency?: number;
  readonly chunkSize?: number;
  /** Keep a partial file after a failure and resume it next time. */
  readonly keepPartial?: boolean;
}

/** How much of a stream of unknown length is read before choosing PUT or multipart. */
const STREAM_PEEK_BYTES = 8 * 1024 * 1024;

/**
 * Reads up to `limit` bytes: a known size if the stream ended by then, else
 * a stream of what was read followed by the rest.
 */
async function peekStream(source: OpenedSource, limit: number): Promise<OpenedSource> {
  const stream = source.open();
  const head: Buffer[] = [];
  let size = 0;
  const ended = await new Promise<boolean>((resolve, reject) => {
    const done = (value: boolean) => {
      stream.off("readable", onReadable);
      stream.off("end", onEnd);
      stream.off("error", reject);
      resolve(value);
    };
    const onEnd = () => done(true);
    const onReadable = () => {
      for (let chunk = stream.read() as Buffer | null; chunk !== null; chunk = stream.read() as Buffer | null) {
        head.push(chunk);
        size += chunk.length;
        if (size > limit) return done(false);
      }
    };
    stream.on("readable", onReadable);
    stream.once("end", onEnd);
    stream.once("error", reject);
  });
  if (ended) {
    const bytes = Buffer.concat(head);
    return { ...source, size: bytes.length, replayable: true, open: () => Readable.from([bytes]) };
  }
  async function* all() {
    // shift(), not yield*: the peeked part-sized head is freed as it is sent, not kept to the end.
    for (let chunk = head.shift(); chunk !== undefined; chunk = head.shift()) yield chunk;
    yield* stream as AsyncIterable<Buffer>;
  }
  let used = false;
  return {
    ...source,
    open: () => {
      if (used) throw new Error("a stream source can be read only once");
      used = true;
      const out = Readable.from(all(), { objectMode: false });
      // Destroying the result must reach the source (stdin), or a pending read keeps the process alive.
      const destroy = out._destroy.bind(out);
      out._destroy = (error, callback) => {
        stream.destroy();
        destroy(error, callback);
      };
      return out;
    },
  };
}

/** Sources above this size are uploaded in parts. */
export const DEFAULT_MULTIPART_THRESHOLD = 64 * 1024 * 1024;
type PostOptions = Omit<MessageInitShape<typeof PostPolicyRequestSchema>, "key" | "$typeName">;

export interface PresignClient {
  /** The generated, typed PresignService client. */
  readonly service: Client<typeof PresignService>;
  /**
   * Presigns a GET and downloads the object: into a file with parallel
   * ranged GETs (`concurrency`, `chunkSize`; `keepPartial` resumes an
   * interrupted download), into a stream sequentially. `parts`: the ranges
   * of a file download.
   */
  download(
    key: string,
    destination: DownloadDestination,
    options?: GetOptions & TransferOptions & DownloadPlan,
  ): Promise<TransferResult & { parts?: number }>;
  /**
   * Uploads the source: one presigned PUT of its exact size, or — above
   * `multipartThreshold`, or for a stream of unknown length — a multipart
   * upload with parallel parts (memory: one part buffer per part in flight).
   */
  upload(
    key: string,
    source: UploadSource,
    options?: PutOptions & TransferOptions & UploadPlan,
  ): Promise<TransferResult & { parts?: number; resumedParts?: number }>;
  /** Gets a POST policy for the key and uploads the source as a form. */
  uploadForm(
    key: string,
    source: UploadSource,
    options?: Partial<PostOptions> & TransferOptions,
  ): Promise<TransferResult>;
}

/** A PresignService client that also moves the bytes. */
export function createPresignClient(options: PresignClientOptions): PresignClient {
  const service = createClient(PresignService, createTransport(options));
  return {
    service,
    async download(key, destination, opts = {}) {
      const { onProgress, signal, retries, concurrency, chunkSize, keepPartial, ...request } = opts;
      const presign = () => service.getObject({ ...request, key }, signal ? { signal } : {});
      // A signed Range is one request's business; a stream takes bytes in order.
      if (typeof destination === "string" && !request.range) {
        return downloadRanged(presign, destination, {
          ...transferOptions(opts),
          ...(concurrency !== undefined ? { concurrency } : {}),
          ...(chunkSize !== undefined ? { chunkSize } : {}),
          ...(keepPartial !== undefined ? { keepPartial } : {}),
        });
      }
      return downloadPresigned(await presign(), destination, transferOptions(opts));
    },
    async upload(key, source, opts = {}) {
      const {
        onProgress,
        signal,
        retries,
        multipartThreshold,
        partSize,
        concurrency,
        maxSize,
        resumeState,
        ...request
      } = opts;
      let opened = await openSource(source);
      const threshold = multipartThreshold ?? DEFAULT_MULTIPART_THRESHOLD;
      if (opened.size === undefined && resumeState === undefined) {
        // A stream that ends within one part is one PUT; longer ones go multipart.
        opened = await peekStream(opened, Math.min(partSize ?? STREAM_PEEK_BYTES, threshold));
      }
      // An empty object is one PUT, even with resumeState: there is nothing to resume.
      if (opened.size === undefined || opened.size > threshold || (resumeState !== undefined && opened.size > 0)) {
        if (request.checksumSha256 || request.contentMd5) {
          throw new Error("contentMd5/checksumSha256 cover one PUT; they do not apply to a multipart upload");
        }
        return uploadMultipart(service, key, opened, {
          ...transferOptions(opts),
          ...(request.bucket ? { bucket: request.bucket } : {}),
          ...(request.contentType ? { contentType: request.contentType } : {}),
          ...(request.metadata ? { metadata: request.metadata } : {}),
          ...(partSize !== undefined ? { partSize } : {}),
          ...(concurrency !== undefined ? { concurrency } : {}),
          ...(maxSize !== undefined ? { maxSize } : {}),
          ...(resumeState !== undefined ? { resumeState } : {}),
        });
      }
      const sized = await withKnownSize(opened);
      try {
        const presigned = await service.putObject(
          { ...request, key, contentLength: BigInt(sized.size) },
          signal ? { signal } : {},
        );
        return await uploadPresigned(presigned, sized, transferOptions(opts));
      } finally {
        await sized.cleanup();
      }
    },
    async uploadForm(key, source, opts = {}) {
      const { onProgress, signal, retries, ...request } = opts;
      const sized = await withKnownSize(await openSource(source));
      try {
        const policy = await service.postPolicy(
          { maxContentLength: BigInt(Math.max(sized.size, 1)), ...request, key },
          signal ? { signal } : {},
        );
        const fields = { ...policy.fields };
        if (fields.key !== undefined) fields.key = fillFilename(fields.key, sized.filename);
        const form = multipartForm(fields, sized);
        const result = await uploadPresigned(
          {
            url: policy.url,
            method: "POST",
            headers: { "content-type": form.contentType, "content-length": String(form.contentLength) },
          },
          { ...sized, size: form.contentLength, open: form.open },
          transferOptions(opts),
        );
        // Report the file's bytes, not the form's around it.
        return { ...result, bytes: sized.size };
      } finally {
        await sized.cleanup();
      }
    },
  };
}

function transferOptions(opts: TransferOptions): TransferOptions {
  return {
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
  };
}

/** The transport for a protocol name, with the configured headers. */
export function createTransport(options: PresignClientOptions): Transport {
  const headers = options.headers ?? {};
  const addHeaders: Interceptor = (next) => (req) => {
    for (const [name, value] of Object.entries(headers)) req.header.set(name, value);
    return next(req);
  };
  const interceptors = Object.keys(headers).length > 0 ? [addHeaders] : [];
  const baseUrl = options.baseUrl.replace(/\/+$/, "");
  const nodeOptions = options.tls ? { nodeOptions: { ...options.tls } } : {};
  switch (options.transport ?? "connect") {
    case "grpc":
      return createGrpcTransport({ baseUrl, interceptors, ...nodeOptions });
    case "grpc-web":
      return createGrpcWebTransport({
        baseUrl,
        httpVersion: options.httpVersion ?? "1.1",
        interceptors,
        ...nodeOptions,
      });
    case "connect":
      return createConnectTransport({
        baseUrl,
        httpVersion: options.httpVersion ?? "1.1",
        interceptors,
        useHttpGet: true,
        ...nodeOptions,
      });
    default:
      throw new Error(`unknown transport "${String(options.transport)}": use connect, grpc or grpc-web`);
  }
}
