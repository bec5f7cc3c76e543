import type { HeadResult } from "@presignd/client/node";
import { Command, Option } from "commander";
import { formatBytes } from "./byte-size.js";
import { type ClientFlags, clientFor, clientOptions } from "./client-options.js";
import { helpExamples } from "./help-examples.js";

interface HeadFlags extends ClientFlags {
  versionId?: string;
  json?: boolean;
}

export function headCommand(): Command {
  const cmd = new Command("head")
    .description("show an object's size, content type, ETag, last-modified time and metadata (a presigned HEAD)")
    .argument("<key>", "object key")
    .addOption(new Option("--version-id <id>", "a specific version of the object (S3 versionId)"))
    .addOption(
      new Option(
        "--json",
        "print one JSON object on stdout: key, size, contentType, etag, lastModified, versionId, metadata",
      ),
    );
  for (const option of clientOptions()) cmd.addOption(option);
  cmd.addHelpText(
    "after",
    helpExamples(
      "presignd head reports/2026.csv",
      "presignd head reports/2026.csv --json | jq .size",
      "presignd head doc.pdf --version-id 3HL4kqtJlcpXroDTDmJ",
    ),
  );
  return cmd.action(async (key: string, flags: HeadFlags) => {
    const head = await clientFor(flags).headObject(key, {
      params: {
        ...(flags.bucket ? { bucket: flags.bucket } : {}),
        ...(flags.versionId ? { versionId: flags.versionId } : {}),
      },
    });
    process.stdout.write(flags.json ? `${JSON.stringify(headJson(key, head))}\n` : headText(key, head));
  });
}

function headJson(key: string, head: HeadResult) {
  return {
    key,
    size: head.size,
    contentType: head.contentType ?? null,
    etag: head.etag ?? null,
    lastModified: head.lastModified?.toISOString() ?? null,
    ...(head.versionId ? { versionId: head.versionId } : {}),
    metadata: head.metadata,
  };
}

/** One "name: value" line each, aligned; metadata as meta.<name>. */
function headText(key: string, head: HeadResult): string {
  const rows: [string, string][] = [
    ["key", key],
    ["size", `${head.size} bytes${head.size >= 1024 ? ` (${formatBytes(head.size)})` : ""}`],
    ["content-type", head.contentType ?? "-"],
    ["etag", head.etag ?? "-"],
    ["last-modified", head.lastModified?.toISOString() ?? "-"],
  ];
  if (head.versionId) rows.push(["version-id", head.versionId]);
  for (const [name, value] of Object.entries(head.metadata).sort(([a], [b]) => a.localeCompare(b))) {
    rows.push([`meta.${name}`, value]);
  }
  const width = Math.max(...rows.map(([name]) => name.length)) + 1;
  return rows.map(([name, value]) => `${`${name}:`.padEnd(width)} ${value}\n`).join("");
}
