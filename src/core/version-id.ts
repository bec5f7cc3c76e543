import { invalidField } from "./presign-error.js";

// S3 version ids are opaque, URL-safe strings; RGW's are 32 characters.
const VERSION_ID = /^[\u0021-\u007e]{1,1024}$/;

/** An object version id (S3 `versionId`) from a caller, returned unchanged. */
export function checkVersionId(value: string, field = "version_id"): string {
  if (!VERSION_ID.test(value)) {
    throw invalidField(field, "must be 1 to 1024 printable ASCII characters without spaces");
  }
  return value;
}
