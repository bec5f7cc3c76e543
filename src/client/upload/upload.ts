import { bytesSource, type SizedSource } from "../body/source.js";
import { streamParts } from "../body/stream-parts.js";
import type { ClientContext } from "../client-context.js";
import { InvalidOptionError } from "../errors.js";
import { DEFAULTS, MiB, type ObjectTarget, type UploadOptions, type UploadResult } from "../options.js";
import { checkUploadOptions, targetFields } from "../options-check.js";
import { confirmUpload } from "./confirm.js";
import { uploadMultipart } from "./multipart.js";
import { ProgressMeter } from "./progress-meter.js";
import { onePutReason, putObject } from "./put.js";

/**
 * Uploads a source: one presigned PUT, or a multipart upload above the
 * threshold (a stream of unknown length that outgrows one part, too). Every
 * parameter applies on either path, or the call is refused before anything
 * is sent.
 * @private
 */
export async function upload(
  context: ClientContext,
  target: ObjectTarget,
  input: unknown,
  options: UploadOptions = {},
): Promise<UploadResult> {
  checkUploadOptions(options);
  const result = await transfer(context, target, input, options);
  if (!options.confirm) return result;
  const params = options.params ?? {};
  const confirmed = await confirmUpload(context, target, {
    ...(params.bucket ? { bucket: params.bucket } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    expect: {
      contentLength: result.bytes,
      ...(params.contentType ? { contentType: params.contentType } : {}),
      ...(params.metadata ? { metadata: params.metadata } : {}),
    },
  });
  return { ...result, confirmed };
}

async function transfer(
  context: ClientContext,
  target: ObjectTarget,
  input: unknown,
  options: UploadOptions,
): Promise<UploadResult> {
  const fields = targetFields(target);
  const params = options.params ?? {};
  const onePut = onePutReason(fields, params);
  if (onePut && options.resume) {
    throw new InvalidOptionError(
      "resume",
      `resuming is for multipart uploads, and ${onePut} makes this upload one PUT`,
    );
  }
  if (onePut && options.checksum) {
    throw new InvalidOptionError(
      "checksum",
      `is per part of a multipart upload, and ${onePut} makes this upload one PUT (for one PUT, give params.checksumSha256 alone)`,
    );
  }
  if (onePut && options.maxSize !== undefined && options.maxSize > DEFAULTS.maxPutSize) {
    throw new InvalidOptionError(
      onePut,
      `applies to one PUT, which S3 limits to 5 GiB; maxSize declares up to ${options.maxSize} bytes`,
    );
  }
  const settings = {
    signal: options.signal,
    retries: options.retries ?? DEFAULTS.retries,
    idleTimeout: options.idleTimeout ?? DEFAULTS.idleTimeout,
  };
  const threshold = options.multipartThreshold ?? DEFAULTS.multipartThreshold;
  let source = await context.platform.openSource(input);
  const meter = new ProgressMeter(options.onProgress, source.kind === "sized" ? source.size : undefined);
  let cleanup = async () => {};
  try {
    if (source.kind === "stream") {
      if (options.resume) {
        throw new InvalidOptionError(
          "resume",
          "needs a source that can be read again (a File, a Blob or, on Node, a path); a stream is read once",
        );
      }
      if (onePut) {
        const spooled = await context.platform.spool(source);
        cleanup = spooled.cleanup;
        source = spooled;
      } else {
        // A stream that ends within one part is one PUT; a longer one goes multipart.
        const partSize = streamPartSize(options);
        const parts = streamParts(source, partSize, { crc32c: options.checksum === "crc32c" });
        const first = await parts.next();
        // With per-part checksums, any non-empty stream goes multipart (the checksum is per part).
        const onePart = !first.done && first.value.last && first.value.bytes.byteLength <= threshold;
        if (onePart && (!options.checksum || first.value.bytes.byteLength === 0)) {
          source = bytesSource(first.value.bytes, source.filename, source.type);
        } else {
          return await uploadMultipart(
            context,
            requireKey(fields, "a multipart upload"),
            { ...source, kind: "parts", parts, first: first.done ? undefined : first.value },
            params,
            { ...multipartSettings(options, settings), partSize },
            meter,
          );
        }
      }
    }
    const sized: SizedSource = source;
    if (options.maxSize !== undefined && sized.size > options.maxSize) {
      throw new InvalidOptionError("maxSize", `the source has ${sized.size} bytes, more than maxSize allows`);
    }
    meter.setTotal(sized.size);
    if (onePut) {
      if (sized.size > DEFAULTS.maxPutSize) {
        throw new InvalidOptionError(
          onePut,
          `applies to one PUT, which S3 limits to 5 GiB; the source has ${sized.size} bytes`,
        );
      }
      return await putObject(context, fields, sized, params, settings, meter);
    }
    // Resuming and per-part checksums are multipart things: any non-empty source goes multipart for them.
    const multipart =
      sized.size > threshold || ((options.resume !== undefined || options.checksum !== undefined) && sized.size > 0);
    if (!multipart) return await putObject(context, fields, sized, params, settings, meter);
    if (options.resume && sized.fingerprint === undefined) {
      throw new InvalidOptionError(
        "resume",
        "needs a source recognisable across runs (a File or, on Node, a path); a Blob or bytes have no name or date",
      );
    }
    return await uploadMultipart(
      context,
      requireKey(fields, "a multipart upload"),
      sized,
      params,
      multipartSettings(options, settings),
      meter,
    );
  } finally {
    await cleanup();
  }
}

function requireKey(fields: { key?: string }, what: string): string {
  if (fields.key === undefined) throw new InvalidOptionError("handle", `applies to one PUT, not ${what}`);
  return fields.key;
}

function multipartSettings(
  options: UploadOptions,
  settings: { signal?: AbortSignal | undefined; retries: number; idleTimeout: number },
) {
  return {
    ...settings,
    concurrency: options.concurrency ?? DEFAULTS.uploadConcurrency,
    partSize: options.partSize,
    maxSize: options.maxSize,
    resume: options.resume,
    checksum: options.checksum,
  };
}

/**
 * A stream's part size: given, or 8 MiB, or as large as `maxSize` needs
 * within 10,000 parts (whole MiB). Chosen here, not by presignd, because the
 * first part is read before the upload is created.
 */
function streamPartSize(options: UploadOptions): number {
  if (options.partSize !== undefined) return options.partSize;
  const needed = Math.ceil((options.maxSize ?? 0) / DEFAULTS.maxParts / MiB) * MiB;
  return Math.max(DEFAULTS.streamPartSize, needed);
}
