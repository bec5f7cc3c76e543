import { checkObjectKey } from "../object-key.js";
import { invalidField } from "../presign-error.js";

/**
 * The key a policy decides on, and the key that is then signed: Unicode NFC,
 * and stricter than S3 itself (no empty segments), so that no two spellings
 * of one path can land on different sides of a rule.
 */
export function normalizeKey(key: string, field = "key"): string {
  const nfc = checkObjectKey(key, field).normalize("NFC");
  checkObjectKey(nfc, field); // NFC can lengthen a key past 1024 bytes
  if (nfc.includes("//")) throw invalidField(field, 'must not contain "//" (an empty path segment)');
  return nfc;
}
