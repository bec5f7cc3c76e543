import contentDisposition from "content-disposition";
import { invalidField } from "./presign-error.js";

const FIELD = "overrides.download_filename";
/** C0 controls, DEL and C1 controls: never part of a file name a browser shows. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;
/** Each character outside printable ASCII becomes "_" in the fallback `filename`. */
const NOT_PRINTABLE_ASCII = /[^\u0020-\u007e]/gu;

/**
 * The Content-Disposition that makes a browser save a download as `name`
 * (RFC 6266): `attachment; filename="<ASCII fallback>"`, plus
 * `filename*=UTF-8''<percent-encoded name>` (RFC 8187) when the name is not
 * plain ASCII. Quoting and escaping are the `content-disposition` package's
 * (jshttp, as used by Express). A name that is not a plain file name is
 * refused rather than changed: that package keeps only what follows the last
 * "/" or "\".
 */
export function downloadDisposition(name: string): string {
  if (CONTROL.test(name)) throw invalidField(FIELD, "must not contain control characters");
  if (name.includes("/") || name.includes("\\")) {
    throw invalidField(FIELD, 'must be a file name without "/" or "\\" (browsers save downloads by name only)');
  }
  if (name.trim() === "") throw invalidField(FIELD, "must not be only white space");
  return contentDisposition(name, { fallback: name.replace(NOT_PRINTABLE_ASCII, "_") });
}
