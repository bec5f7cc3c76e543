import { fileStateStore } from "@presignd/client/node";
import { Command, Option } from "commander";
import { parseByteSize, parseCount } from "./byte-size.js";
import { clientFor, clientOptions } from "./client-options.js";
import { helpExamples } from "./help-examples.js";
import { keptForResume } from "./interrupt.js";
import { runUpload, type UploadFlags, uploadOptions } from "./upload-options.js";

interface PutFlags extends UploadFlags {
  file?: string;
  multipartThreshold: number;
  partSize?: number;
  concurrency: number;
  maxSize?: number;
  resume?: boolean | string;
  confirm?: boolean;
  checksum?: "crc32c" | "sha256";
}

export function putCommand(): Command {
  const cmd = new Command("put")
    .description(
      "upload an object: one presigned PUT, or parallel multipart above the threshold; stdin streams multipart",
    )
    .argument("<key>", "object key")
    .option("-f, --file <path>", 'read from this file instead of stdin ("-": stdin)')
    .addOption(
      new Option("--multipart-threshold <size>", "files larger than this go multipart")
        .argParser(parseByteSize)
        .default(64 * 1024 * 1024, "64MiB"),
    )
    .addOption(new Option("--part-size <size>", "bytes per part (5MiB-5GiB; default 8MiB)").argParser(parseByteSize))
    .addOption(new Option("-c, --concurrency <n>", "parts in flight").argParser(parseCount).default(4))
    .addOption(
      new Option("--max-size <size>", "stdin: upper bound of the stream (default part size x 10000)").argParser(
        parseByteSize,
      ),
    )
    .addOption(
      new Option(
        "--resume [state-file]",
        "multipart: record progress in a state file (default <file>.presignd-upload.json); keep the upload on failure and resume it when run again",
      ),
    )
    .addOption(
      new Option(
        "--checksum <algorithm>",
        "sign each part's checksum, computed as it is read (the store keeps only intact parts); always multipart",
      ).choices(["crc32c", "sha256"]),
    )
    .option(
      "--confirm",
      "then ask presignd to verify the object (ConfirmUpload): size, type, metadata, checksums as signed; fails if it differs",
    );
  for (const option of [...uploadOptions(), ...clientOptions()]) cmd.addOption(option);
  cmd.addHelpText(
    "after",
    helpExamples(
      "presignd put photos/cat.jpg -f cat.jpg -t image/jpeg",
      "pg_dump mydb | presignd put backups/mydb.sql          # stdin, any length, multipart",
      "presignd put big.iso -f big.iso --resume -c 8          # rerun to resume",
      "presignd put notes.txt -f notes.txt --json             # {key, bytes, etag, parts, seconds …}",
      "presignd put report.pdf -f report.pdf --confirm        # verified by presignd after the upload",
      "presignd put big.iso -f big.iso --checksum crc32c      # each part's CRC32C signed and checked by S3",
    ),
  );
  return cmd.action((key: string, flags: PutFlags) => {
    const file = flags.file === "-" ? undefined : flags.file;
    if (flags.resume !== undefined && file === undefined) {
      throw new Error("--resume needs -f/--file (stdin cannot be read again)");
    }
    const resumeState =
      flags.resume === undefined
        ? undefined
        : typeof flags.resume === "string"
          ? flags.resume
          : `${file}.presignd-upload.json`;
    if (file === undefined && process.stdin.isTTY) {
      process.stderr.write("presignd: reading the object from the terminal; end it with Ctrl-D (or pass -f FILE)\n");
    }
    return runUpload(
      key,
      flags,
      "put",
      (request) =>
        clientFor(flags).upload(key, file ?? process.stdin, {
          ...request,
          multipartThreshold: flags.multipartThreshold,
          concurrency: flags.concurrency,
          ...(flags.partSize !== undefined ? { partSize: flags.partSize } : {}),
          ...(flags.maxSize !== undefined ? { maxSize: flags.maxSize } : {}),
          ...(resumeState !== undefined ? { resume: { store: fileStateStore(resumeState), keepOnAbort: true } } : {}),
          ...(flags.confirm ? { confirm: true } : {}),
          ...(flags.checksum ? { checksum: flags.checksum } : {}),
        }),
      ...(resumeState !== undefined ? [() => keptForResume(resumeState, resumeState, "nothing was stored")] : []),
    );
  });
}
