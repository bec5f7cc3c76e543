import { invalidField } from "./presign-error.js";

/** S3's limit on the length of a key, in bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;

// C0 controls, DEL and C1 controls (U+0080–U+009F, e.g. U+0085 NEL, a line
// break to some parsers): invisible in logs, rejected or mangled by S3's XML listings.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Checks an object key (or key prefix) from a caller and returns it unchanged.
 * Keys are signed byte-for-byte as given: no normalisation happens here, so
 * NFC and NFD spellings stay distinct objects, exactly as in S3.
 */
export function checkObjectKey(key: string, field = "key", { allowEmpty = false } = {}): string {
  if (key.length === 0) {
    if (allowEmpty) return key;
    throw invalidField(field, "must not be empty");
  }
  checkKeyText(key, field);
  for (const segment of key.split("/")) {
    // HTTP clients and proxies remove dot segments from URLs (RFC 3986 §5.2.4,
    // also for %2E), so such a key could never be reached at the signed path.
    if (segment === "." || segment === "..") {
      throw invalidField(field, `must not contain a "${segment}" path segment`);
    }
  }
  return key;
}

/**
 * Checks text S3 compares with keys (a key, a list's start-after or
 * delimiter): valid UTF-8, at most `maxBytes` bytes, no control characters.
 */
export function checkKeyText(value: string, field: string, maxBytes = MAX_KEY_BYTES): string {
  if (!value.isWellFormed()) {
    throw invalidField(field, "is not valid UTF-8 (contains a lone surrogate)");
  }
  const bytes = Buffer.byteLength(value, "utf8");
  if (bytes > maxBytes) {
    throw invalidField(field, `is ${bytes} bytes of UTF-8; the limit is ${maxBytes}`);
  }
  if (CONTROL.test(value)) {
    throw invalidField(field, "must not contain control characters (U+0000–U+001F, U+007F–U+009F)");
  }
  return value;
}
