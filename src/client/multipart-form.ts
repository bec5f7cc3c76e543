import { randomBytes } from "node:crypto";
import { Readable } from "node:stream";
import type { OpenedSource } from "./sources.js";

const FILENAME = "${filename}";

/**
 * The key a POST form stores its file under: S3 and RGW replace a trailing
 * "${filename}" with the uploaded file's name themselves; some S3-compatible
 * servers (s3rver) do not, so a client fills it in. The policy's starts-with
 * condition holds either way.
 */
export function fillFilename(key: string, filename: string): string {
  return key.endsWith(FILENAME) ? key.slice(0, -FILENAME.length) + filename : key;
}

export interface FormBody {
  readonly contentType: string;
  readonly contentLength: number;
  /** A fresh body stream per call (for retries when the file is replayable). */
  open(): Readable;
}

/**
 * A multipart/form-data body (RFC 7578) for an S3 POST upload: the policy
 * fields, then the file as the last part (S3 ignores fields after it). Built
 * as a stream with an exact length, since S3 rejects chunked POST bodies.
 */
export function multipartForm(
  fields: Readonly<Record<string, string>>,
  file: OpenedSource & { size: number },
): FormBody {
  const boundary = `presignd-${randomBytes(16).toString("hex")}`;
  let head = "";
  for (const [name, value] of Object.entries(fields)) {
    head += `--${boundary}\r\nContent-Disposition: form-data; name="${escapeQuoted(name)}"\r\n\r\n${value}\r\n`;
  }
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${escapeQuoted(file.filename)}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  const headBytes = Buffer.from(head, "utf8");
  const tailBytes = Buffer.from(`\r\n--${boundary}--\r\n`, "utf8");
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    contentLength: headBytes.length + file.size + tailBytes.length,
    open: () =>
      Readable.from(
        (async function* () {
          yield headBytes;
          yield* file.open();
          yield tailBytes;
        })(),
      ),
  };
}

// HTML's escaping of names and filenames in multipart/form-data.
function escapeQuoted(value: string): string {
  return value.replace(/\r/g, "%0D").replace(/\n/g, "%0A").replace(/"/g, "%22");
}
