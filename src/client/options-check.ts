import { InvalidOptionError } from "./errors.js";
import type {
  DownloadOptions,
  FormTarget,
  ObjectRequestOptions,
  ObjectTarget,
  UploadFormOptions,
  UploadOptions,
} from "./options.js";
import { DEFAULTS, MiB } from "./options.js";

function integer(option: string, value: number | undefined, min: number, max: number, unit = ""): void {
  if (value === undefined) return;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(
      option,
      `must be a whole number from ${min}${unit} to ${max}${unit}, got ${String(value)}`,
    );
  }
}

function common(options: { retries?: number; idleTimeout?: number }): void {
  integer("retries", options.retries, 0, 100);
  integer("idleTimeout", options.idleTimeout, 0, 24 * 3600 * 1000, " ms");
}

/** Checks a key or handle target; returns the RPC fields. @private */
export function targetFields(target: ObjectTarget | FormTarget): { key?: string; handle?: string; keyPrefix?: string } {
  if (typeof target === "string") {
    if (target === "")
      throw new InvalidOptionError("key", "must not be empty: pass an object key, { handle } or { keyPrefix }");
    return { key: target };
  }
  if (typeof target === "object" && target !== null) {
    if ("handle" in target && typeof target.handle === "string" && target.handle !== "")
      return { handle: target.handle };
    if ("keyPrefix" in target && typeof target.keyPrefix === "string" && target.keyPrefix !== "") {
      return { keyPrefix: target.keyPrefix };
    }
  }
  throw new InvalidOptionError(
    "key",
    "expected an object key (a non-empty string), { handle } or, for forms, { keyPrefix }",
  );
}

/** @private */
export function checkUploadOptions(options: UploadOptions): void {
  common(options);
  integer("multipartThreshold", options.multipartThreshold, 0, Number.MAX_SAFE_INTEGER, " bytes");
  integer("partSize", options.partSize, DEFAULTS.minPartSize, DEFAULTS.maxPutSize, " bytes");
  integer("concurrency", options.concurrency, 1, DEFAULTS.maxConcurrency);
  integer("maxSize", options.maxSize, 1, 5 * 1024 * 1024 * MiB, " bytes");
  integer("params.expiresIn", options.params?.expiresIn, 1, 7 * 24 * 3600, " s");
  if (options.checksum !== undefined && options.checksum !== "crc32c" && options.checksum !== "sha256") {
    throw new InvalidOptionError("checksum", `must be "crc32c" or "sha256", got ${JSON.stringify(options.checksum)}`);
  }
  if (options.resume && typeof options.resume.store?.get !== "function") {
    throw new InvalidOptionError("resume.store", "must be a StateStore (get, set, delete)");
  }
}

/** @private */
export function checkDownloadOptions(options: DownloadOptions & { keepPartial?: boolean }): void {
  common(options);
  integer("concurrency", options.concurrency, 1, DEFAULTS.maxConcurrency);
  integer("chunkSize", options.chunkSize, 64 * 1024, DEFAULTS.maxPutSize, " bytes");
  integer("params.expiresIn", options.params?.expiresIn, 1, 7 * 24 * 3600, " s");
}

/** @private */
export function checkFormOptions(options: UploadFormOptions): void {
  common(options);
  const params = options.params ?? {};
  integer("params.minContentLength", params.minContentLength, 0, DEFAULTS.maxPutSize, " bytes");
  integer("params.maxContentLength", params.maxContentLength, 1, DEFAULTS.maxPutSize, " bytes");
  integer("params.expiresIn", params.expiresIn, 1, 7 * 24 * 3600, " s");
}

/** @private */
export function checkObjectRequestOptions(options: ObjectRequestOptions): void {
  common(options);
  integer("params.expiresIn", options.params?.expiresIn, 1, 7 * 24 * 3600, " s");
}
