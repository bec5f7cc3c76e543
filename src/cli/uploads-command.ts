import { Command, Option } from "commander";
import type { HeldUpload } from "../server/uploads/upload-sweep.js";
import { confirmed } from "./confirm.js";
import { helpExamples } from "./help-examples.js";
import { addServeOptions, settingLayers } from "./serve-options.js";

interface UploadsFlags {
  stale?: boolean;
  json?: boolean;
  yes?: boolean;
}

/**
 * `presignd uploads list|abort`: the multipart uploads S3 holds in the
 * configured buckets, with serve's own settings and credentials — the sweep
 * for what the reaper cannot see.
 */
export function uploadsCommand(): Command {
  const uploads = new Command("uploads").description(
    "the multipart uploads S3 holds in the configured buckets (with serve's settings): list them, abort stale ones",
  );
  const list = addServeOptions(
    new Command("list")
      .description("list multipart uploads in progress, each with what presignd knows of it")
      .option("--stale", "only stale ones: token expired, or unknown to presignd and older than --max-ttl")
      .addOption(new Option("--json", "one JSON object per line: bucket, key, uploadId, initiated, stale, why")),
  ).action(async (flags: UploadsFlags, command: Command) => {
    const { held, close } = await openSweep(command);
    try {
      const shown = (await held()).filter((u) => !flags.stale || u.stale);
      for (const upload of shown)
        process.stdout.write(flags.json ? `${JSON.stringify(uploadJson(upload))}\n` : uploadText(upload));
      if (!flags.json)
        process.stderr.write(
          `${shown.length} multipart upload${shown.length === 1 ? "" : "s"}${flags.stale ? " stale" : ""}\n`,
        );
    } finally {
      await close();
    }
  });
  const abort = addServeOptions(
    new Command("abort")
      .description("abort multipart uploads (their parts are freed): the ones named, or every stale one")
      .argument("[upload-id...]", "upload ids, as `presignd uploads list` shows them")
      .option("--stale", "every stale upload (see list --stale)")
      .option("-y, --yes", "do not ask (needed when stdin is not a terminal)"),
  ).action(async (ids: string[], flags: UploadsFlags, command: Command) => {
    if (ids.length === 0 && !flags.stale) throw new Error("uploads abort: name upload ids, or pass --stale");
    const { held, abort: abortOne, close } = await openSweep(command);
    try {
      const all = await held();
      const unknown = ids.filter((id) => !all.some((u) => u.uploadId === id));
      if (unknown.length > 0)
        throw new Error(`uploads abort: no multipart upload ${unknown.join(", ")} in the configured buckets`);
      const chosen = all.filter((u) => ids.includes(u.uploadId) || (flags.stale && u.stale));
      if (chosen.length === 0) {
        process.stderr.write("nothing to abort\n");
        return;
      }
      for (const upload of chosen) process.stderr.write(uploadText(upload));
      if (!flags.yes) {
        if (!process.stdin.isTTY) {
          throw new Error(
            `not aborting without confirmation: stdin is not a terminal to ask on; pass -y/--yes to abort ${chosen.length} upload(s)`,
          );
        }
        if (!(await confirmed(`abort ${chosen.length} multipart upload(s)? [y/N] `))) {
          process.stderr.write("not aborted\n");
          process.exitCode = 1;
          return;
        }
      }
      for (const upload of chosen) {
        const outcome = await abortOne(upload);
        process.stderr.write(
          `${outcome === "aborted" ? "aborted" : "already gone"}: ${upload.bucket}/${upload.key} (${upload.uploadId})\n`,
        );
      }
    } finally {
      await close();
    }
  });
  return uploads
    .addCommand(list)
    .addCommand(abort)
    .addHelpText(
      "after",
      helpExamples(
        "presignd uploads list --config presignd.yaml",
        "presignd uploads list --stale --json --config presignd.yaml",
        "presignd uploads abort --stale --yes --config presignd.yaml   # free the parts nobody can finish",
      ),
    );
}

/** Serve's settings, its S3 backend (credentials, endpoints) and its handle store, for one sweep. */
async function openSweep(command: Command) {
  // Loaded here, as serve loads the server: not for every get/put.
  const [{ configFromLayers }, { createLogger }, { createS3Backend }, { openHandleStore }, sweep] = await Promise.all([
    import("../server/config/layers.js"),
    import("../server/logging/logger.js"),
    import("../server/s3/s3-backend.js"),
    import("../server/handles/open-handle-store.js"),
    import("../server/uploads/upload-sweep.js"),
  ]);
  const config = configFromLayers(await settingLayers(command));
  if (config.dev) {
    throw new Error(
      "uploads: --dev's embedded S3 lists no multipart uploads (s3rver has no ListMultipartUploads); run it against a real S3",
    );
  }
  const logger = createLogger("warn", process.stderr);
  const backend = await createS3Backend(config, logger);
  const store = config.handleStore ? await openHandleStore(config.handleStore) : undefined;
  return {
    held: () => sweep.heldUploads(backend, store?.uploads, config.maxTtlSeconds),
    abort: async (upload: HeldUpload) => {
      const outcome = await backend.abortMultipartUpload(upload);
      const record = store ? await store.uploads.byUploadId(upload.bucket, upload.uploadId) : undefined;
      if (record && store) await store.uploads.settle(record.id, ["pending", "reaping"], "reaped", new Date());
      return outcome;
    },
    close: async () => {
      backend.close();
      await store?.close();
    },
  };
}

function uploadJson(upload: HeldUpload) {
  return {
    bucket: upload.bucket,
    key: upload.key,
    uploadId: upload.uploadId,
    initiated: upload.initiated?.toISOString() ?? null,
    tokenExpiresAt: upload.tokenExpiresAt?.toISOString() ?? null,
    stale: upload.stale,
    why: upload.why,
  };
}

function uploadText(upload: HeldUpload): string {
  return `${upload.stale ? "STALE" : "live "}  ${upload.bucket}/${upload.key}  ${upload.uploadId}  started ${upload.initiated?.toISOString() ?? "?"}: ${upload.why}\n`;
}
