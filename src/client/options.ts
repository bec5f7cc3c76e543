import type { PartChecksumAlgorithm } from "./body/part-checksum.js";
import type { StateStore } from "./state/state-store.js";

/** What to act on: an object key, or a handle minted by CreateHandle. */
export type ObjectTarget = string | { readonly handle: string };

/** What a download or upload reports as bytes move. */
export interface Progress {
  /** Bytes moved so far. */
  readonly transferred: number;
  /** Total bytes, once known. */
  readonly total?: number;
}

/**
 * How bytes move: settings of the transfer, never of the stored object.
 * Every setting applies to every path (one request, parts, ranges, a form).
 */
export interface TransferSettings {
  /** Called as bytes move; throttle if you redraw. */
  readonly onProgress?: (progress: Progress) => void;
  /** Stops the transfer (and its RPCs); the call rejects with TransferAbortedError. */
  readonly signal?: AbortSignal;
  /**
   * Extra attempts per request after a network error, an idle timeout or
   * S3's 5xx/429 answer, with exponential backoff and jitter.
   * @default 3
   */
  readonly retries?: number;
  /**
   * Milliseconds without a byte moving (either way, or while waiting for an
   * answer) after which a request is abandoned and, like a network error,
   * tried again; after the last attempt the call fails with
   * TransferTimeoutError. 0 turns it off.
   * @default 60000
   */
  readonly idleTimeout?: number;
}

/** What S3 stores with an uploaded object: the PUT and multipart parameters. */
export interface UploadParams {
  /** Bucket name; unset means presignd's default bucket. */
  readonly bucket?: string;
  /** The object's MIME type; unset uses a Blob's own type, if any. */
  readonly contentType?: string;
  /** User metadata (x-amz-meta-*). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Base64 MD5 of the whole body. S3 checks it on one PUT, so it makes the upload one PUT (up to 5 GiB). */
  readonly contentMd5?: string;
  /** Base64 SHA-256 of the whole body. Like contentMd5, it makes the upload one PUT. */
  readonly checksumSha256?: string;
  /** Lifetime in seconds of the presigned requests (a multipart upload: of its token). */
  readonly expiresIn?: number;
}

/** Where a resumable upload keeps its progress between runs. */
export interface ResumeOptions {
  /** localStorageStateStore(), indexedDbStateStore(), fileStateStore(path) (Node), or your own. */
  readonly store: StateStore;
  /**
   * Keep the upload at S3 (and its state) when the signal aborts, so a
   * later call resumes it. A failure always keeps it.
   * @default false: an abort is a cancel, the upload is aborted at S3
   */
  readonly keepOnAbort?: boolean;
}

/** How `upload` moves the bytes. */
export interface UploadSettings extends TransferSettings {
  /**
   * Sources larger than this go multipart; streams of unknown length that
   * outgrow one part always do.
   * @default 67108864 (64 MiB)
   */
  readonly multipartThreshold?: number;
  /** Multipart: bytes per part, 5 MiB–5 GiB. @default presignd's choice (8 MiB, more for huge objects) */
  readonly partSize?: number;
  /** Multipart: parts in flight at once (memory for a stream: one part each). @default 4 */
  readonly concurrency?: number;
  /** Multipart from a stream of unknown length: an upper bound of its size. @default part size × 10,000 */
  readonly maxSize?: number;
  /** Makes a multipart upload resumable: its progress is saved as parts finish. */
  readonly resume?: ResumeOptions;
  /**
   * A checksum per part, computed as the part is read (CRC32C over its
   * chunks, SHA-256 over the buffered part) and signed into its PUT
   * (x-amz-checksum-crc32c or -sha256), so the store keeps a part only if
   * its bytes arrived intact; the upload is completed with the checksums.
   * The upload then goes multipart whatever its size (one part for a small
   * source), and each part is read into memory before it is sent (one part
   * buffer per part in flight, as for streams). Not with a one-PUT
   * parameter (params.contentMd5, params.checksumSha256, a handle); an empty
   * source is one PUT of 0 signed bytes. Stores that refuse it (B2, Google
   * Cloud Storage, Spaces) answer FailedPrecondition; Ceph RGW 16 accepts it
   * but verifies nothing.
   * @default undefined: no per-part checksums
   * @example { checksum: "crc32c" }
   */
  readonly checksum?: PartChecksumAlgorithm;
  /**
   * After the upload, ask presignd to verify it (ConfirmUpload: a HEAD with
   * its credentials, checked against what it signed, the bytes sent and
   * `params`); the result then carries `confirmed`. A mismatch rejects with
   * RpcError (FailedPrecondition).
   * @default false
   */
  readonly confirm?: boolean;
}

/** What a caller expects of an uploaded object (ConfirmUpload's `expect`). */
export interface ConfirmExpectations {
  readonly contentLength?: number;
  readonly contentType?: string;
  readonly contentMd5?: string;
  readonly checksumSha256?: string;
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Which uploads `watchUploads` follows. */
export interface WatchOptions {
  /** Bucket name; unset means presignd's default bucket. */
  readonly bucket?: string;
  /** Resume after this event (a LandedUpload's cursor); unset: only what lands from now on. */
  readonly cursor?: string;
  /** Ends the watch; the iteration then rejects with TransferAbortedError. */
  readonly signal?: AbortSignal;
}

/** An upload presignd saw land (WatchUploads), as it verified it. */
export interface LandedUpload {
  /** Pass as `cursor` to resume after this event. */
  readonly cursor: string;
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly versionId?: string;
  readonly lastModified?: Date;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly checksumSha256?: string;
  /** How it was signed. */
  readonly kind: "put" | "post" | "multipart";
  /** When presignd saw it land. */
  readonly landedAt?: Date;
  readonly verified: readonly string[];
  readonly unverified: readonly string[];
}

/** An upload presignd verified (ConfirmUpload's answer). */
export interface ConfirmedUpload {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  readonly etag: string;
  readonly versionId?: string;
  readonly lastModified?: Date;
  readonly contentType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly checksumSha256?: string;
  /** "signed": checked against presignd's record of what it signed; "expectations": no record, the caller's and the rule's only. */
  readonly against: "signed" | "expectations";
  /** Properties checked and found as expected, e.g. "content_length", "metadata.owner". */
  readonly verified: readonly string[];
  /** Properties expected that the store does not report (e.g. "checksum_sha256" on Ceph RGW). */
  readonly unverified: readonly string[];
}

export interface UploadOptions extends UploadSettings {
  /** The S3 request's parameters. */
  readonly params?: UploadParams;
}

/** The parameters of a presigned GET. */
export interface DownloadParams {
  readonly bucket?: string;
  /** A specific version of the object. */
  readonly versionId?: string;
  /** A signed Range ("bytes=0-99"): one request, no parallel ranges. */
  readonly range?: string;
  /** Response header overrides S3 applies (response-content-type and the like). */
  readonly overrides?: {
    readonly contentType?: string;
    readonly contentDisposition?: string;
    readonly cacheControl?: string;
    readonly contentLanguage?: string;
    readonly contentEncoding?: string;
    readonly expires?: string;
    /** The file name a browser saves the download as, in any script (the server writes the Content-Disposition). */
    readonly downloadFilename?: string;
  };
  /** Lifetime in seconds of the presigned GET. */
  readonly expiresIn?: number;
}

/** How `download` moves the bytes. */
export interface DownloadSettings extends TransferSettings {
  /** Ranges in flight at once, where the destination takes writes at any position. @default 4 */
  readonly concurrency?: number;
  /** Bytes per ranged GET. @default 16777216 (16 MiB) */
  readonly chunkSize?: number;
}

export interface DownloadOptions extends DownloadSettings {
  readonly params?: DownloadParams;
}

/** What a POST form upload may be: a key, a key prefix (the file name is appended), or a handle. */
export type FormTarget = string | { readonly handle: string } | { readonly keyPrefix: string };

/** The conditions of a POST policy. */
export interface FormParams {
  readonly bucket?: string;
  /**
   * The file's Content-Type. Alone, the policy requires exactly it; with
   * contentTypePrefix, it is this file's type (which must match the prefix).
   * @default a File's own type
   */
  readonly contentType?: string;
  /** Content-Type prefix the policy allows, e.g. "image/"; the form sends the file's type. */
  readonly contentTypePrefix?: string;
  /** Smallest and largest size the policy allows, in bytes. @default the source's own size */
  readonly minContentLength?: number;
  readonly maxContentLength?: number;
  /** 200, 201 or 204 (S3's default). */
  readonly successActionStatus?: 200 | 201 | 204;
  readonly metadata?: Readonly<Record<string, string>>;
  /** Lifetime in seconds of the policy. */
  readonly expiresIn?: number;
}

export interface UploadFormOptions extends TransferSettings {
  readonly params?: FormParams;
}

/** What a finished transfer reports. */
export interface TransferResult {
  /** S3's HTTP status of the last request. */
  readonly status: number;
  /** Bytes of object data moved (for a resumed upload: all of them). */
  readonly bytes: number;
  readonly etag?: string;
  readonly versionId?: string;
}

export interface UploadResult extends TransferResult {
  /** Parts of a multipart upload (absent for one PUT). */
  readonly parts?: number;
  /** Parts a resumed upload found done. */
  readonly resumedParts?: number;
  /** With `confirm: true`: the object as presignd verified it. */
  readonly confirmed?: ConfirmedUpload;
}

export interface DownloadResult extends TransferResult {
  /** Ranged GETs used (1 for a single GET). */
  readonly parts: number;
}

/** @private */
export const MiB = 1024 * 1024;

/** The defaults and S3's limits, once. @private */
export const DEFAULTS = {
  retries: 3,
  idleTimeout: 60_000,
  multipartThreshold: 64 * MiB,
  uploadConcurrency: 4,
  downloadConcurrency: 4,
  chunkSize: 16 * MiB,
  /** Part size for a stream of unknown length: with 10,000 parts, ~78 GiB. */
  streamPartSize: 8 * MiB,
  maxParts: 10_000,
  /** S3's largest single PUT (and part). */
  maxPutSize: 5 * 1024 * MiB,
  /** S3's smallest part but the last. */
  minPartSize: 5 * MiB,
  maxConcurrency: 64,
} as const;

/** The parameters of a presigned HEAD or DELETE of one object. */
export interface ObjectParams {
  /** Bucket name; unset means presignd's default bucket. */
  readonly bucket?: string;
  /** A specific version: HEAD reads it, DELETE removes it for good. */
  readonly versionId?: string;
  /** Lifetime in seconds of the presigned request. */
  readonly expiresIn?: number;
}

/** How `headObject` and `deleteObject` send their one request (no bytes move: no progress). */
export interface ObjectRequestOptions extends Omit<TransferSettings, "onProgress"> {
  /** The S3 request's parameters. */
  readonly params?: ObjectParams;
}

/** What `headObject` learns about an object, from S3's HEAD answer. */
export interface HeadResult {
  /** Content-Length: the object's size in bytes. */
  readonly size: number;
  readonly etag?: string;
  readonly contentType?: string;
  readonly lastModified?: Date;
  readonly versionId?: string;
  /** User metadata (x-amz-meta-*), by name without the prefix, as S3 returns it (lower case). */
  readonly metadata: Readonly<Record<string, string>>;
}
