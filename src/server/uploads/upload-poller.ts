import type { Logger } from "pino";
import type { S3Backend } from "../s3/s3-backend.js";
import { sdkErrorLabel } from "../s3/sdk-error-label.js";
import { landIfVerified } from "./land-upload.js";
import type { UploadFeed } from "./upload-feed.js";

/** HEADs per run, at most: the poller's bound on the load it puts on S3. */
const BATCH = 20;

/**
 * One pass of the landing poller: HEADs the pending uploads presignd signed
 * (least recently checked first), and records as landed each whose object
 * is there and verifies against what was signed. An object that does not
 * verify stays pending: the upload signed may still come.
 */
export async function pollPendingUploads(
  feed: UploadFeed,
  head: S3Backend["headObject"],
  logger: Logger,
  now = new Date(),
): Promise<number> {
  let landed = 0;
  for (const upload of await feed.ledger.toPoll(now, BATCH)) {
    let object: Awaited<ReturnType<typeof head>>;
    try {
      object = await head(upload.bucket, upload.key);
    } catch (error) {
      logger.warn(
        { bucket: upload.bucket, err: sdkErrorLabel(error).label },
        "the upload poller could not HEAD an object",
      );
      continue;
    }
    if (await landIfVerified(feed, upload, object)) landed++;
  }
  return landed;
}

/**
 * Polls every `intervalMs` while this instance has watchers (`always`: whether
 * or not, for webhooks); `stop` resolves once a running pass ends.
 */
export function startUploadPoller(
  feed: UploadFeed,
  head: S3Backend["headObject"],
  logger: Logger,
  intervalMs: number,
  options: { readonly always?: boolean } = {},
): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  let busy = false;
  const timer = setInterval(() => {
    if (busy || (feed.watchers === 0 && !options.always)) return;
    busy = true;
    running = pollPendingUploads(feed, head, logger)
      .catch((error: unknown) =>
        logger.warn({ err: (error as Error).message }, "the upload poller could not read the handle store"),
      )
      .finally(() => {
        busy = false;
      });
  }, intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
