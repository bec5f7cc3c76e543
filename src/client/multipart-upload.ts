import { createReadStream } from "node:fs";
import { readFile, rm, stat } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import { finished } from "node:stream/promises";
import type { Client } from "@connectrpc/connect";
import { XMLBuilder, XMLParser } from "fast-xml-parser";
import type { PresignService } from "../gen/presign/v1/presign_pb.js";
import { parseS3Error, S3Error } from "./s3-error.js";
import { FILE_READ_BYTES, type OpenedSource } from "./sources.js";
import { coalesced, writeStateFile } from "./state-file.js";
import {
  isExpiredUrl,
  isRetryable,
  type PresignedHttp,
  readS3Error,
  send,
  type TransferOptions,
  type TransferResult,
  withRetries,
} from "./transfer.js";

const MiB = 1024 * 1024;

/** Part size for a stream when none is given; with S3's 10,000 parts it bounds the stream at ~78 GiB. */
const STREAM_PART_BYTES = 8 * MiB;
const MAX_PARTS = 10_000;

export interface MultipartOptions extends TransferOptions {
  readonly bucket?: string;
  readonly contentType?: string;
  readonly metadata?: Record<string, string>;
  /** Bytes per part (5 MiB–5 GiB); default: the server's choice (8 MiB, more for huge objects). */
  readonly partSize?: number;
  /** Parts in flight at once (default 4); memory for a stream is one part buffer each. */
  readonly concurrency?: number;
  /**
   * Upper bound of a stream's length (default: part size × 10,000, i.e. ~78 GiB
   * with 8 MiB parts); a file's size is known. Larger bounds need larger parts.
   */
  readonly maxSize?: number;
  /**
   * A state file: the upload is recorded there as parts finish, a failed or
   * interrupted upload is kept (not aborted), and calling again with the same
   * file and source resumes it. Needs a file source. Deleted when complete.
   */
  readonly resumeState?: string;
}

export interface MultipartResult extends TransferResult {
  readonly parts: number;
  readonly resumedParts: number;
}

interface UploadState {
  readonly version: 1;
  readonly bucket: string;
  readonly key: string;
  readonly uploadToken: string;
  readonly uploadId: string;
  readonly partSize: number;
  readonly source: { readonly path: string; readonly size: number; readonly mtimeMs: number };
  /** Part number → ETag, for parts S3 acknowledged. */
  readonly parts: Record<string, string>;
}

type Service = Client<typeof PresignService>;

const parser = new XMLParser({ ignoreAttributes: true, parseTagValue: false, processEntities: true });
const builder = new XMLBuilder({ format: false });

/**
 * Uploads with S3 multipart: parts of `partSize` in parallel, each with its
 * own presigned PUT (presigned again when it expired), retried with backoff
 * and jitter, memory bounded to one buffer per part in flight for streams.
 * A failure aborts the upload — unless a resume state file is kept.
 */
export async function uploadMultipart(
  service: Service,
  key: string,
  source: OpenedSource,
  options: MultipartOptions = {},
): Promise<MultipartResult> {
  const signal = options.signal;
  const call = signal ? { signal } : {};
  const concurrency = Math.max(1, Math.min(options.concurrency ?? 4, 64));
  if (options.resumeState && source.path === undefined) {
    throw new Error("resuming needs a file source (a stream cannot be read again)");
  }
  const sourceInfo = source.path === undefined ? undefined : await stat(source.path);
  let state = options.resumeState ? await loadState(options.resumeState) : undefined;
  if (state && sourceInfo) {
    if (state.key !== key || (options.bucket ?? "") !== state.bucket) {
      throw new Error(`${options.resumeState} records an upload of another object (${state.bucket}/${state.key})`);
    }
    if (state.source.size !== sourceInfo.size || state.source.mtimeMs !== sourceInfo.mtimeMs) {
      throw new Error(
        `${options.resumeState}: ${source.path} changed since the upload began; delete the state file to start over`,
      );
    }
  }
  let resumedParts = 0;
  const done = new Map<number, string>();
  if (state) {
    for (const [n, etag] of Object.entries(state.parts)) done.set(Number(n), etag);
    // What S3 really has wins over the state file (a part may have landed after the last save).
    const listed = await listUploadedParts(service, state.uploadToken, call);
    if (listed) {
      for (const [n, part] of listed) {
        if (part.size === expectedPartSize(n, state.partSize, state.source.size)) done.set(n, part.etag);
      }
    }
    resumedParts = done.size;
  } else {
    const created = await service.createMultipartUpload(
      {
        ...(options.bucket ? { bucket: options.bucket } : {}),
        key,
        maxSize: BigInt(source.size ?? options.maxSize ?? (options.partSize ?? STREAM_PART_BYTES) * MAX_PARTS),
        partSize: BigInt(
          options.partSize ?? (source.size === undefined && options.maxSize === undefined ? STREAM_PART_BYTES : 0),
        ),
        ...(options.contentType ? { contentType: options.contentType } : {}),
        metadata: options.metadata ?? {},
      },
      call,
    );
    state = {
      version: 1,
      bucket: options.bucket ?? "",
      key,
      uploadToken: created.uploadToken,
      uploadId: created.uploadId,
      partSize: Number(created.partSize),
      source: { path: source.path ?? "", size: source.size ?? -1, mtimeMs: sourceInfo?.mtimeMs ?? 0 },
      parts: {},
    };
    if (options.resumeState) await writeStateFile(options.resumeState, state);
  }
  const upload = state;
  // Saved after each part, one write at a time.
  const resumeState = options.resumeState;
  const saver = resumeState
    ? coalesced(() =>
        writeStateFile(resumeState, {
          ...upload,
          parts: Object.fromEntries([...done].map(([n, e]) => [String(n), e])),
        }),
      )
    : undefined;

  let transferred = 0;
  for (const n of done.keys()) transferred += expectedPartSize(n, upload.partSize, upload.source.size);
  const total = source.size;
  const report = (delta: number) => {
    transferred += delta;
    options.onProgress?.({ transferred, ...(total === undefined ? {} : { total }) });
  };

  const failed = new AbortController();
  const stop = AbortSignal.any([failed.signal, ...(signal ? [signal] : [])]);
  const stream = source.path === undefined ? source.open() : undefined;
  // Stop waiting for a slow stream (stdin) as soon as the upload is stopped.
  const stopped = new Promise<never>((_, reject) => {
    const fire = () => reject(stop.reason);
    if (stop.aborted) fire();
    else stop.addEventListener("abort", fire, { once: true });
  });
  stopped.catch(() => {});
  try {
    const parts = (stream ? streamParts(stream, upload.partSize) : fileParts(source, upload.partSize))[
      Symbol.asyncIterator
    ]();
    const inFlight = new Set<Promise<void>>();
    let firstError: unknown;
    let count = 0;
    for (;;) {
      const next = await Promise.race([parts.next(), stopped]).catch((error: unknown) => {
        if (firstError !== undefined) return { done: true as const, value: undefined };
        throw error;
      });
      if (next.done) break;
      const part = next.value;
      if (firstError !== undefined || stop.aborted) break;
      count = Math.max(count, part.number);
      if (done.has(part.number)) continue;
      const task = uploadPart(service, upload.uploadToken, part, options.retries ?? 3, stop, report)
        .then(
          (etag) => {
            done.set(part.number, etag);
            saver?.();
          },
          (error: unknown) => {
            firstError ??= error;
            failed.abort();
          },
        )
        .finally(() => part.release?.());
      inFlight.add(task);
      void task.finally(() => inFlight.delete(task));
      // Bounded: never more than `concurrency` parts (and their buffers) at once.
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    if (firstError !== undefined) throw firstError;
    signal?.throwIfAborted();
    if (count === 0) throw new Error("nothing to upload: the source is empty");
    await saver?.flush();
    const result = await complete(service, upload.uploadToken, done, count, call);
    if (options.resumeState) await rm(options.resumeState, { force: true });
    return { ...result, bytes: transferred, parts: count, resumedParts };
  } catch (error) {
    stream?.destroy();
    await saver?.flush();
    if (!options.resumeState) await abortUpload(service, upload.uploadToken).catch(() => {});
    throw error;
  }
}

interface Part {
  readonly number: number;
  readonly size: number;
  open(): Readable;
  /** Done with the part (uploaded or failed): its buffer may be reused. */
  release?(): void;
}

/** Parts of a file, each re-readable for retries; nothing is buffered. */
async function* fileParts(source: OpenedSource, partSize: number): AsyncGenerator<Part> {
  const size = source.size ?? 0;
  const path = source.path;
  if (path === undefined) throw new Error("fileParts needs a file");
  for (let start = 0, n = 1; start < size; start += partSize, n++) {
    const end = Math.min(start + partSize, size);
    yield {
      number: n,
      size: end - start,
      open: () => createReadStream(path, { start, end: end - 1, highWaterMark: FILE_READ_BYTES }),
    };
  }
}

/**
 * Parts of a stream of unknown length: each part is one buffer, filled then
 * handed out, and taken back when released. Reusing them keeps memory at the
 * parts in flight: fresh 8 MiB buffers per part left ~10 dead ones for the GC
 * at any time (peak RSS 174 MiB for a 5 GiB stream, -c 4).
 */
async function* streamParts(stream: Readable, partSize: number): AsyncGenerator<Part> {
  const free: Buffer[] = [];
  const nextBuffer = () => free.pop() ?? Buffer.allocUnsafe(partSize);
  let buffer = nextBuffer();
  let filled = 0;
  let n = 1;
  const emit = (bytes: Buffer): Part => {
    const number = n++;
    const whole = buffer;
    return { number, size: bytes.length, open: () => Readable.from([bytes]), release: () => free.push(whole) };
  };
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(chunk.length - offset, partSize - filled);
      chunk.copy(buffer, filled, offset, offset + take);
      filled += take;
      offset += take;
      if (filled === partSize) {
        yield emit(buffer);
        buffer = nextBuffer();
        filled = 0;
      }
    }
  }
  if (filled > 0) yield emit(buffer.subarray(0, filled));
}

async function readText(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** One part: presign, PUT, retry (presigning again once the URL expired). */
async function uploadPart(
  service: Service,
  uploadToken: string,
  part: Part,
  retries: number,
  signal: AbortSignal,
  report: (delta: number) => void,
): Promise<string> {
  let presigned: (PresignedHttp & { expiresAt?: { seconds: bigint } | undefined }) | undefined;
  let expired = false;
  return withRetries(
    retries,
    signal,
    async () => {
      if (!presigned) {
        const answer = await service.presignUploadParts(
          { uploadToken, parts: [{ partNumber: part.number, contentLength: BigInt(part.size) }] },
          { signal },
        );
        presigned = answer.parts[0]?.request;
        if (!presigned) throw new Error(`presignd returned no URL for part ${part.number}`);
      }
      let sent = 0;
      try {
        const body = part.open();
        body.on("data", (chunk: Buffer) => {
          sent += chunk.length;
          report(chunk.length);
        });
        const res = await send(presigned, body, { signal });
        if ((res.statusCode ?? 0) >= 300) throw await readS3Error(res, presigned.url);
        res.resume();
        await finished(res);
        const etag = res.headers.etag;
        if (typeof etag !== "string") throw new Error(`S3 acknowledged part ${part.number} without an ETag`);
        return etag;
      } catch (error) {
        report(-sent);
        expired = isExpiredUrl(error, presigned.expiresAt);
        if (expired) presigned = undefined;
        throw error;
      }
    },
    (error) => isRetryable(error) || expired,
  );
}

async function complete(
  service: Service,
  uploadToken: string,
  done: ReadonlyMap<number, string>,
  count: number,
  call: { signal?: AbortSignal },
): Promise<TransferResult> {
  const parts = [];
  for (let n = 1; n <= count; n++) {
    const etag = done.get(n);
    if (etag === undefined) throw new Error(`part ${n} was not uploaded`);
    parts.push({ PartNumber: n, ETag: etag });
  }
  const body = Buffer.from(builder.build({ CompleteMultipartUpload: { Part: parts } }) as string, "utf8");
  const presigned = await service.completeMultipartUpload({ uploadToken }, call);
  const res = await send(presigned, Readable.from([body]), {
    ...call,
    extra: { "content-type": "application/xml", "content-length": String(body.length) },
  });
  const text = await readText(res);
  const status = res.statusCode ?? 0;
  // S3 may answer 200 and still fail: the error is then in the body.
  if (status >= 300 || /<Error>/.test(text))
    throw parseS3Error(status, text, res.headers, presigned.url, res.statusMessage);
  const doc = parser.parse(text) as { CompleteMultipartUploadResult?: { ETag?: string } };
  // RGW 16 answers an empty <ETag/>: report none rather than "".
  const etag = doc.CompleteMultipartUploadResult?.ETag || (res.headers.etag as string | undefined);
  return { status, bytes: 0, ...(etag ? { etag } : {}) };
}

async function abortUpload(service: Service, uploadToken: string): Promise<void> {
  const presigned = await service.abortMultipartUpload({ uploadToken }, { signal: AbortSignal.timeout(10_000) });
  const res = await send(presigned, undefined, { signal: AbortSignal.timeout(10_000) });
  res.resume();
  if ((res.statusCode ?? 0) >= 300 && res.statusCode !== 404)
    throw new S3Error(res.statusCode ?? 0, "AbortFailed", "abort failed");
}

/** S3's parts of the upload (all pages), or undefined where ListParts is not implemented. */
async function listUploadedParts(
  service: Service,
  uploadToken: string,
  call: { signal?: AbortSignal },
): Promise<Map<number, { etag: string; size: number }> | undefined> {
  const parts = new Map<number, { etag: string; size: number }>();
  let marker = 0;
  for (;;) {
    const presigned = await service.listParts({ uploadToken, partNumberMarker: marker }, call);
    const res = await send(presigned, undefined, call);
    const text = await readText(res);
    const status = res.statusCode ?? 0;
    if (status === 405 || status === 501) return undefined;
    if (status >= 300) {
      const error = parseS3Error(status, text, res.headers, presigned.url, res.statusMessage);
      // S3 says NoSuchUpload; RGW 16 says NoSuchKey.
      if (error.code === "NoSuchUpload" || error.code === "NoSuchKey") {
        throw new Error(
          "the upload to resume no longer exists at S3 (aborted or expired): delete the state file to start over",
        );
      }
      throw error;
    }
    const doc = parser.parse(text) as {
      ListPartsResult?: { Part?: unknown; IsTruncated?: string; NextPartNumberMarker?: string };
    };
    const result = doc.ListPartsResult ?? {};
    const list = Array.isArray(result.Part) ? result.Part : result.Part ? [result.Part] : [];
    for (const p of list as { PartNumber: string; ETag: string; Size: string }[]) {
      parts.set(Number(p.PartNumber), { etag: p.ETag, size: Number(p.Size) });
    }
    if (result.IsTruncated !== "true" || !result.NextPartNumberMarker) return parts;
    marker = Number(result.NextPartNumberMarker);
  }
}

function expectedPartSize(n: number, partSize: number, total: number): number {
  return Math.max(0, Math.min(partSize, total - (n - 1) * partSize));
}

async function loadState(path: string): Promise<UploadState | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw error;
  }
  const state = JSON.parse(text) as UploadState;
  if (state.version !== 1 || typeof state.uploadToken !== "string") {
    throw new Error(`${path} is not a presignd upload state file`);
  }
  return state;
}
