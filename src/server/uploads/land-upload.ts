import { mayHaveWritten, verifyObject } from "../../core/upload-expectation.js";
import type { ObjectHead } from "../s3/s3-backend.js";
import type { UploadFeed } from "./upload-feed.js";
import type { SignedUpload } from "./upload-ledger.js";

/**
 * Records a pending upload as landed when the object presignd HEADed (with
 * its own credentials) was written after it was signed and verifies against
 * what was signed: the one proof shared by the poller and S3 notifications.
 * False when it is not there, does not verify (the upload signed may still
 * come), or another instance settled it first.
 */
export async function landIfVerified(
  feed: UploadFeed,
  upload: SignedUpload,
  object: ObjectHead | undefined,
): Promise<boolean> {
  if (!object || !mayHaveWritten(upload.signedAt, object.lastModified)) return false;
  let checks: ReturnType<typeof verifyObject>;
  try {
    checks = verifyObject(object, upload.expectation, "signed");
  } catch {
    return false;
  }
  return feed.landed(upload, object, checks);
}
