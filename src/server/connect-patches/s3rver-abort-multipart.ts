import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";

// s3rver's FilesystemStore keeps a multipart upload in
// <dataDir>/<bucket>/._S3rver_uploads/<uploadId>/ (its `key` file names the object).
const UPLOADS_DIR = "._S3rver_uploads";

/** The multipart uploads in progress in the embedded S3's bucket, read where s3rver keeps them. */
export async function devS3MultipartUploads(
  dataDir: string,
  bucket: string,
): Promise<{ uploadId: string; key: string }[]> {
  const root = join(dataDir, bucket, UPLOADS_DIR);
  const ids = await readdir(root).catch(() => [] as string[]);
  return Promise.all(
    ids.map(async (uploadId) => ({ uploadId, key: await readFile(join(root, uploadId, "key"), "utf8") })),
  );
}
