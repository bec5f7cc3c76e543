import { invalidField } from "./presign-error.js";

/** S3 counts user metadata names and values together against this limit. */
export const MAX_METADATA_BYTES = 2048;

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+";
const QUOTED = '"(?:[^"\\\\\\u0000-\\u001f\\u007f]|\\\\[\\u0020-\\u007e])*"';
// RFC 9110 media-type: type "/" subtype *( OWS ";" OWS parameter )
const MEDIA_TYPE = new RegExp(`^${TOKEN}/${TOKEN}(?:[ \\t]*;[ \\t]*${TOKEN}=(?:${TOKEN}|${QUOTED}))*$`);
const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/;
const METADATA_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** A MIME type such as "image/png" or "text/plain; charset=utf-8". */
export function checkContentType(value: string, field: string): string {
  if (value.length > 256) throw invalidField(field, "is longer than 256 characters");
  if (!MEDIA_TYPE.test(value)) {
    throw invalidField(field, `"${printable(value)}" is not a media type like "image/png"`);
  }
  return value;
}

/** The base64 of a digest of a known size (MD5: 16 bytes, SHA-256: 32). */
export function checkBase64Digest(
  value: string,
  bytes: number,
  field: string,
  what = `a ${bytes}-byte digest`,
): string {
  const decoded = BASE64.test(value) ? Buffer.from(value, "base64") : undefined;
  if (decoded === undefined || decoded.length !== bytes || decoded.toString("base64") !== value) {
    throw invalidField(field, `must be the base64 of ${what}`);
  }
  return value;
}

/** A header value S3 stores verbatim: printable ASCII, no surrounding blanks. */
export function checkHeaderValue(value: string, field: string, maxBytes = 1024): string {
  if (!PRINTABLE_ASCII.test(value)) {
    throw invalidField(field, "must be printable ASCII (encode other text per RFC 2047, as S3 requires for headers)");
  }
  if (value.length > maxBytes) throw invalidField(field, `is longer than ${maxBytes} bytes`);
  if (value !== value.trim()) {
    throw invalidField(field, "must not start or end with white space (it would not be stored)");
  }
  return value;
}

/**
 * User metadata as x-amz-meta-* headers (or POST form fields), in a stable
 * order. Names must already be in the lower case S3 stores them in.
 */
export function metadataHeaders(
  metadata: Readonly<Record<string, string>>,
  field = "metadata",
): [name: string, value: string][] {
  let total = 0;
  const headers: [string, string][] = [];
  for (const name of Object.keys(metadata).sort()) {
    const value = metadata[name] ?? "";
    if (!METADATA_NAME.test(name)) {
      throw invalidField(
        `${field}[${JSON.stringify(printable(name))}]`,
        "names are lower-case letters, digits, '-' and '_', starting with a letter or digit",
      );
    }
    checkHeaderValue(value, `${field}[${JSON.stringify(name)}]`, MAX_METADATA_BYTES);
    total += name.length + value.length;
    headers.push([`x-amz-meta-${name}`, value]);
  }
  if (total > MAX_METADATA_BYTES) {
    throw invalidField(field, `is ${total} bytes (names and values); S3 allows ${MAX_METADATA_BYTES}`);
  }
  return headers;
}

/** Echo caller text into an error message without control characters or floods. */
export function printable(value: string, max = 64): string {
  const clean = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
