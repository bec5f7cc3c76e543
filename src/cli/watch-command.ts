import type { LandedUpload } from "@presignd/client/node";
import { Command, Option } from "commander";
import { type ClientFlags, clientFor, clientOptions } from "./client-options.js";
import { helpExamples } from "./help-examples.js";
import { interruptible } from "./interrupt.js";

interface WatchFlags extends ClientFlags {
  json?: boolean;
  cursor?: string;
}

export function watchCommand(): Command {
  const cmd = new Command("watch")
    .description(
      "stream the uploads that land under a key prefix, as presignd verified them (WatchUploads); reconnects on its own",
    )
    .argument("[prefix]", 'key prefix to watch ("" or unset: the whole bucket, if the policy allows it)', "")
    .addOption(new Option("--cursor <cursor>", "resume after this event (the cursor an earlier watch printed)"))
    .addOption(new Option("--json", "one JSON object per line (NDJSON): cursor, key, size, kind, verified …"));
  for (const option of clientOptions()) cmd.addOption(option);
  cmd.addHelpText(
    "after",
    helpExamples(
      "presignd watch uploads/",
      "presignd watch uploads/ --json | jq -c '{key, size}'",
      "presignd watch uploads/ --cursor 1042            # what landed since event 1042, then new ones",
    ),
  );
  return cmd.action(async (prefix: string, flags: WatchFlags) => {
    let cursor = flags.cursor;
    await interruptible(
      async (signal) => {
        const watch = clientFor(flags).watchUploads(prefix, {
          signal,
          ...(flags.bucket ? { bucket: flags.bucket } : {}),
          ...(cursor ? { cursor } : {}),
        });
        for await (const upload of watch) {
          cursor = upload.cursor;
          process.stdout.write(flags.json ? `${JSON.stringify(landedJson(upload))}\n` : landedText(upload));
        }
      },
      async () => (cursor ? `the last event's cursor is ${cursor}: resume with --cursor ${cursor}` : "no event yet"),
    );
  });
}

function landedJson(upload: LandedUpload) {
  return {
    cursor: upload.cursor,
    bucket: upload.bucket,
    key: upload.key,
    size: upload.size,
    etag: upload.etag,
    contentType: upload.contentType,
    kind: upload.kind,
    landedAt: upload.landedAt?.toISOString() ?? null,
    lastModified: upload.lastModified?.toISOString() ?? null,
    ...(upload.versionId ? { versionId: upload.versionId } : {}),
    metadata: upload.metadata,
    verified: upload.verified,
    unverified: upload.unverified,
  };
}

/** One line per upload: when, how, the key, its size and type, and what was verified. */
function landedText(upload: LandedUpload): string {
  const when = upload.landedAt?.toISOString() ?? "-";
  const unverified = upload.unverified.length > 0 ? `; unverified: ${upload.unverified.join(", ")}` : "";
  return `${when}  ${upload.kind}  ${upload.key}  ${upload.size} bytes  ${upload.contentType || "-"}  verified: ${upload.verified.join(", ") || "-"}${unverified}  (cursor ${upload.cursor})\n`;
}
