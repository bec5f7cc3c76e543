import { checksummedPayload, PART_CHECKSUMS, type PartChecksumAlgorithm, sha256Of } from "../body/part-checksum.js";
import { bytesPayload, type Payload } from "../body/payload.js";
import type { SizedSource, StreamSource } from "../body/source.js";
import type { StreamPart } from "../body/stream-parts.js";
import { type ClientContext, rpc, seconds } from "../client-context.js";
import { PresignClientError, S3Error, TransferAbortedError, TransferError } from "../errors.js";
import { runPool } from "../http/pool.js";
import type { PresignedHttp } from "../http/presigned.js";
import { withRetries } from "../http/retry.js";
import { elements, escapeText, leafText } from "../http/s3-xml.js";
import { exchange, expectSuccess } from "../http/send.js";
import { DEFAULTS, type ResumeOptions, type UploadParams, type UploadResult } from "../options.js";
import type { ProgressMeter } from "./progress-meter.js";
import { sendPresigned } from "./send-presigned.js";

/** @private */
export interface MultipartSettings {
  readonly signal?: AbortSignal | undefined;
  readonly retries: number;
  readonly idleTimeout: number;
  readonly concurrency: number;
  readonly partSize?: number | undefined;
  readonly maxSize?: number | undefined;
  readonly resume?: ResumeOptions | undefined;
  readonly checksum?: PartChecksumAlgorithm | undefined;
}

/** A resumable upload's record in the state store. */
interface UploadRecord {
  readonly version: 1;
  readonly bucket: string;
  readonly key: string;
  readonly uploadToken: string;
  readonly uploadId: string;
  readonly partSize: number;
  readonly size: number;
  readonly fingerprint: string;
  /** Part number → ETag, for parts S3 acknowledged. */
  readonly parts: Record<string, string>;
  /** The upload's per-part checksum algorithm, if any. */
  readonly checksum?: PartChecksumAlgorithm;
  /** Part number → the checksum its PUT was signed with (uploads with a checksum). */
  readonly checksums?: Record<string, string>;
}

/** A part S3 has: its ETag and, for an upload with a checksum algorithm, its checksum. */
interface DonePart {
  readonly etag: string;
  readonly checksum?: string | undefined;
}

/** A stream already being cut into parts (its first part read, to choose between PUT and multipart). @private */
export interface StreamPartsSource extends Omit<StreamSource, "kind" | "chunks"> {
  readonly kind: "parts";
  readonly parts: AsyncGenerator<StreamPart>;
  readonly first: StreamPart | undefined;
}

interface Part {
  readonly number: number;
  readonly payload: Payload;
  /** A streamed part's bytes (already in memory) and CRC32C (computed as it was read). */
  readonly bytes?: Uint8Array;
  readonly crc32c?: string | undefined;
  release?(): void;
}

/**
 * Uploads with S3 multipart: parts in parallel, each with its own presigned
 * PUT (presigned again when it expired), retried with backoff. Memory for a
 * stream is one part buffer per part in flight. A failure aborts the upload
 * at S3, unless it is resumable (then a later call picks it up); an abort
 * by the caller cancels it unless `resume.keepOnAbort`.
 * @private
 */
export async function uploadMultipart(
  context: ClientContext,
  key: string,
  source: SizedSource | StreamPartsSource,
  params: UploadParams,
  settings: MultipartSettings,
  meter: ProgressMeter,
): Promise<UploadResult> {
  const { signal } = settings;
  const bucket = params.bucket ?? "";
  const resume = settings.resume;
  const stateId = `upload:${bucket}/${key}`;
  const fingerprint = source.kind === "sized" ? (source.fingerprint ?? "") : "";
  let record = resume ? await loadRecord(resume, stateId) : undefined;
  if (record && source.kind === "sized" && (record.fingerprint !== fingerprint || record.size !== source.size)) {
    throw new PresignClientError(
      `the resume state of ${bucket ? `${bucket}/` : ""}${key} records an upload of other bytes (the source changed since the upload began); delete that state to start over`,
    );
  }
  const checksum = settings.checksum;
  if (record && record.checksum !== checksum) {
    throw new PresignClientError(
      `the resume state of ${bucket ? `${bucket}/` : ""}${key} records an upload ${record.checksum ? `with checksum "${record.checksum}"` : "without checksums"}; resume it with the same checksum option, or delete that state to start over`,
    );
  }
  const done = new Map<number, DonePart>();
  let resumedParts = 0;
  let equalPartsMismatch: string | undefined;
  if (record) {
    for (const [n, etag] of Object.entries(record.parts)) {
      done.set(Number(n), { etag, checksum: record.checksums?.[n] });
    }
    // What S3 has wins over the record: a part may have landed after the last save.
    const listed = await listUploadedParts(context, record.uploadToken, checksum, settings);
    if (listed) {
      for (const [n, part] of listed) {
        if (part.size !== expectedPartSize(n, record.partSize, record.size)) continue;
        done.set(n, { etag: part.etag, checksum: part.checksum ?? done.get(n)?.checksum });
      }
    }
    // Complete needs every part's checksum: a part whose checksum neither S3 (ListParts) nor the record
    // knows is sent again, its checksum computed anew.
    if (checksum) for (const [n, part] of done) if (!part.checksum) done.delete(n);
    resumedParts = done.size;
    // One report of what is already there, so the first progress event counts from it.
    const resumed = record;
    meter.add([...done.keys()].reduce((sum, n) => sum + expectedPartSize(n, resumed.partSize, resumed.size), 0));
  } else {
    // A stream's part size is chosen by the caller (its first part is read); a sized source's by presignd.
    const partSize = settings.partSize ?? 0;
    const maxSize = source.kind === "sized" ? source.size : (settings.maxSize ?? partSize * DEFAULTS.maxParts);
    const contentType = params.contentType ?? source.type;
    const created = await rpc(signal, (call) =>
      context.service.createMultipartUpload(
        {
          ...(params.bucket ? { bucket: params.bucket } : {}),
          key,
          maxSize: BigInt(maxSize),
          partSize: BigInt(partSize),
          ...(contentType ? { contentType } : {}),
          metadata: { ...params.metadata },
          ...(params.expiresIn !== undefined ? { expiresIn: seconds(params.expiresIn) } : {}),
          ...(checksum ? { checksumAlgorithm: PART_CHECKSUMS[checksum].message } : {}),
        },
        call,
      ),
    );
    if (checksum && created.checksumAlgorithm !== PART_CHECKSUMS[checksum].message) {
      await abortUpload(context, created.uploadToken).catch(() => {});
      throw new PresignClientError(
        `presignd did not take checksum "${checksum}" for the upload (a server without per-part checksums?): nothing was uploaded`,
      );
    }
    // A stream is cut before presignd answers: a store that needs equal parts (R2) must get the size it was cut in.
    if (created.equalParts && source.kind === "parts" && Number(created.partSize) !== partSize) {
      equalPartsMismatch = `presignd chose part_size ${created.partSize} for a stream cut in parts of ${partSize} bytes, and the bucket's store needs every part but the last to be exactly part_size`;
    }
    record = {
      version: 1,
      bucket,
      key,
      uploadToken: created.uploadToken,
      uploadId: created.uploadId,
      partSize: Number(created.partSize),
      size: source.kind === "sized" ? source.size : -1,
      fingerprint,
      parts: {},
      ...(checksum ? { checksum, checksums: {} } : {}),
    };
    if (resume) await resume.store.set(stateId, JSON.stringify(record));
  }
  const upload = record;
  const save = resume
    ? coalesced(() =>
        resume.store.set(
          stateId,
          JSON.stringify({
            ...upload,
            parts: Object.fromEntries([...done].map(([n, p]) => [String(n), p.etag])),
            ...(checksum
              ? { checksums: Object.fromEntries([...done].map(([n, p]) => [String(n), p.checksum ?? ""])) }
              : {}),
          }),
        ),
      )
    : undefined;

  let count = 0;
  const next = source.kind === "sized" ? sizedParts(source, upload.partSize) : streamedParts(source);
  try {
    if (equalPartsMismatch) throw new TransferError(equalPartsMismatch, false);
    await runPool<Part>(
      settings.concurrency,
      async () => {
        for (;;) {
          const part = await next();
          if (part === undefined) return undefined;
          count = Math.max(count, part.number);
          if (!done.has(part.number)) return part;
          part.release?.();
        }
      },
      async (part, poolSignal) => {
        try {
          done.set(part.number, await uploadPart(context, upload.uploadToken, part, settings, poolSignal, meter));
          save?.();
        } finally {
          part.release?.();
        }
      },
      signal,
    );
    if (count === 0) throw new TransferError("nothing to upload: the source is empty", false);
    await save?.flush();
    const result = await complete(context, upload.uploadToken, done, count, settings);
    if (resume) await resume.store.delete(stateId);
    return { ...result, bytes: meter.transferred, parts: count, resumedParts };
  } catch (error) {
    if (source.kind === "parts") await source.cancel().catch(() => {});
    await save?.flush().catch(() => {});
    const cancelled = error instanceof TransferAbortedError;
    if (!resume || (cancelled && !resume.keepOnAbort)) {
      await abortUpload(context, upload.uploadToken).catch(() => {});
      if (resume) await resume.store.delete(stateId).catch(() => {});
    }
    throw error;
  }
}

function sizedParts(source: SizedSource, partSize: number): () => Part | undefined {
  let n = 0;
  return () => {
    const start = n * partSize;
    if (start >= source.size) return undefined;
    n++;
    return { number: n, payload: source.slice(start, Math.min(start + partSize, source.size)) };
  };
}

function streamedParts(source: StreamPartsSource): () => Promise<Part | undefined> {
  let first = source.first;
  return async () => {
    let part = first;
    first = undefined;
    if (!part) {
      const next = await source.parts.next();
      if (next.done) return undefined;
      part = next.value;
    }
    if (part.bytes.byteLength === 0 && part.number > 1) return undefined;
    return {
      number: part.number,
      payload: bytesPayload(part.bytes),
      bytes: part.bytes,
      crc32c: part.crc32c,
      release: part.release,
    };
  };
}

/**
 * A part's bytes and checksum: a streamed part is in memory already (its
 * CRC32C computed as it was read); a slice of a file or Blob is read once
 * into memory, its checksum computed on the way.
 */
async function withChecksum(
  part: Part,
  algorithm: PartChecksumAlgorithm,
): Promise<{ payload: Payload; checksum: string }> {
  if (part.bytes) {
    if (algorithm === "sha256") return { payload: part.payload, checksum: await sha256Of(part.bytes) };
    if (part.crc32c) return { payload: part.payload, checksum: part.crc32c };
  }
  return checksummedPayload(part.payload, algorithm);
}

/** One part: presign, PUT, retry (presigning again once the URL expired). */
async function uploadPart(
  context: ClientContext,
  uploadToken: string,
  part: Part,
  settings: MultipartSettings,
  signal: AbortSignal,
  meter: ProgressMeter,
): Promise<DonePart> {
  const algorithm = settings.checksum;
  const { payload, checksum } = algorithm
    ? await withChecksum(part, algorithm)
    : { payload: part.payload, checksum: "" };
  const presign = async (): Promise<PresignedHttp> => {
    const answer = await rpc(signal, (call) =>
      context.service.presignUploadParts(
        { uploadToken, parts: [{ partNumber: part.number, contentLength: BigInt(payload.size), checksum }] },
        call,
      ),
    );
    const presigned = answer.parts[0]?.request;
    if (!presigned) throw new TransferError(`presignd returned no URL for part ${part.number}`, false);
    return presigned;
  };
  const reply = await sendPresigned(presign, payload, { ...settings, signal }, meter);
  const etag = reply.headers.get("etag");
  if (!etag) {
    throw new TransferError(
      `S3 acknowledged part ${part.number} without an ETag header (in a browser: the bucket's CORS must expose ETag)`,
      false,
    );
  }
  return { etag, ...(checksum ? { checksum } : {}) };
}

async function complete(
  context: ClientContext,
  uploadToken: string,
  done: ReadonlyMap<number, DonePart>,
  count: number,
  settings: MultipartSettings,
): Promise<{ status: number; etag?: string }> {
  const element = settings.checksum ? PART_CHECKSUMS[settings.checksum].xmlElement : undefined;
  let xml = "<CompleteMultipartUpload>";
  for (let n = 1; n <= count; n++) {
    const part = done.get(n);
    if (part === undefined) throw new TransferError(`part ${n} was not uploaded`, false);
    // An upload with a checksum algorithm is completed with each part's checksum, as signed for its PUT.
    const sum = element && part.checksum ? `<${element}>${escapeText(part.checksum)}</${element}>` : "";
    xml += `<Part><PartNumber>${n}</PartNumber><ETag>${escapeText(part.etag)}</ETag>${sum}</Part>`;
  }
  xml += "</CompleteMultipartUpload>";
  const presigned = await rpc(settings.signal, (call) =>
    context.service.completeMultipartUpload({ uploadToken }, call),
  );
  const answer = await withRetries(settings.retries, settings.signal, async () =>
    expectSuccess(
      await exchange(presigned, xml, {
        signal: settings.signal,
        idleTimeout: settings.idleTimeout,
        headers: { "content-type": "application/xml" },
      }),
      presigned,
    ),
  );
  // S3 may answer 200 and still fail: the error is then in the body.
  if (elements(answer.text, "Error").length > 0) {
    throw expectSuccess({ ...answer, status: 500, statusText: "Internal Error" }, presigned);
  }
  // RGW 16 answers an empty <ETag/>: report none rather than "".
  const etag = leafText(answer.text, "ETag") || answer.headers.get("etag") || undefined;
  return { status: answer.status, ...(etag ? { etag } : {}) };
}

async function abortUpload(context: ClientContext, uploadToken: string): Promise<void> {
  // Not the caller's signal: a cancelled upload must still be aborted at S3.
  const signal = AbortSignal.timeout(10_000);
  const presigned = await rpc(signal, (call) => context.service.abortMultipartUpload({ uploadToken }, call));
  const answer = await exchange(presigned, undefined, { signal, idleTimeout: 10_000 });
  if (answer.status >= 300 && answer.status !== 404) expectSuccess(answer, presigned);
}

/** S3's parts of the upload (all pages), or undefined where ListParts is not implemented. */
async function listUploadedParts(
  context: ClientContext,
  uploadToken: string,
  checksum: PartChecksumAlgorithm | undefined,
  settings: MultipartSettings,
): Promise<Map<number, { etag: string; size: number; checksum?: string }> | undefined> {
  const parts = new Map<number, { etag: string; size: number; checksum?: string }>();
  // AWS reports each part's checksum (ChecksumCRC32C, ChecksumSHA256); stores that keep none (RGW 16) do not.
  const element = checksum ? PART_CHECKSUMS[checksum].xmlElement : undefined;
  let marker = 0;
  for (;;) {
    const presigned = await rpc(settings.signal, (call) =>
      context.service.listParts({ uploadToken, partNumberMarker: marker }, call),
    );
    const answer = await exchange(presigned, undefined, { signal: settings.signal, idleTimeout: settings.idleTimeout });
    if (answer.status === 405 || answer.status === 501) return undefined;
    try {
      expectSuccess(answer, presigned);
    } catch (error) {
      // S3 says NoSuchUpload; RGW 16 says NoSuchKey.
      if (error instanceof S3Error && (error.code === "NoSuchUpload" || error.code === "NoSuchKey")) {
        throw new PresignClientError(
          "the upload to resume no longer exists at S3 (aborted or expired): delete its resume state to start over",
          { cause: error },
        );
      }
      throw error;
    }
    for (const part of elements(answer.text, "Part")) {
      const sum = element ? leafText(part, element) : undefined;
      parts.set(Number(leafText(part, "PartNumber")), {
        etag: leafText(part, "ETag") ?? "",
        size: Number(leafText(part, "Size")),
        ...(sum ? { checksum: sum } : {}),
      });
    }
    const nextMarker = leafText(answer.text, "NextPartNumberMarker");
    if (leafText(answer.text, "IsTruncated") !== "true" || !nextMarker) return parts;
    marker = Number(nextMarker);
  }
}

function expectedPartSize(n: number, partSize: number, total: number): number {
  return Math.max(0, Math.min(partSize, total - (n - 1) * partSize));
}

async function loadRecord(resume: ResumeOptions, id: string): Promise<UploadRecord | undefined> {
  const text = await resume.store.get(id);
  if (text === undefined) return undefined;
  let record: UploadRecord;
  try {
    record = JSON.parse(text) as UploadRecord;
  } catch {
    throw new PresignClientError(`the resume state ${id} is not JSON: delete it to start over`);
  }
  if (record.version !== 1 || typeof record.uploadToken !== "string") {
    throw new PresignClientError(`the resume state ${id} is not a presignd upload record: delete it to start over`);
  }
  return record;
}

/** Runs `task` one at a time, merging calls that arrive while it runs; flush() waits for the last. */
function coalesced(task: () => Promise<void>): (() => void) & { flush(): Promise<void> } {
  let running: Promise<void> | undefined;
  let again = false;
  const run = (): Promise<void> => {
    running = task().finally(() => {
      running = undefined;
      if (again) {
        again = false;
        void run().catch(() => {});
      }
    });
    return running;
  };
  const trigger = () => {
    if (running) again = true;
    else void run().catch(() => {});
  };
  trigger.flush = async () => {
    while (running) await running.catch(() => {});
  };
  return trigger;
}
