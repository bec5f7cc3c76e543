import type { PresignedHttp } from "@presignd/client/node";
import { shellQuote } from "./shell-quote.js";

/**
 * The file a printed command uploads or downloads into: a path, the
 * command's own stdin/stdout ("-"), or none yet — then the command names the
 * FILE variable, and bash refuses to run it with a message until FILE is set.
 */
export type CommandFile = { readonly path: string } | "stdio" | "placeholder";

/** The placeholder, expanded by the shell: `FILE=report.csv <command>` fills it in. */
const PLACEHOLDER = "${FILE:?set FILE to the file to upload}";

// Quiet but for errors; no globbing of the URL (an IPv6 endpoint's brackets).
const CURL = ["curl", "-sS", "--globoff"];

/**
 * One curl command sending a presigned request exactly: its method, every
 * header it was signed with, and for a PUT or POST the file's bytes. A GET
 * writes the object to stdout or the path; a HEAD prints the headers. Every
 * word is shell-quoted.
 */
export function curlRequest(presigned: PresignedHttp, file: CommandFile): string {
  const words = [...CURL];
  const upload = presigned.method === "PUT" || presigned.method === "POST";
  // A failed GET must not write S3's error document as if it were the object.
  words.push(presigned.method === "GET" || presigned.method === "HEAD" ? "--fail" : "--fail-with-body");
  // --head prints the answer's headers (what a HEAD is for); -X HEAD would wait for a body.
  if (presigned.method === "HEAD") words.push("--head");
  else if (presigned.method !== "GET") words.push("-X", presigned.method);
  for (const [name, value] of Object.entries(presigned.headers)) words.push("-H", `${name}: ${value}`);
  let redirect = "";
  if (upload) {
    // Streamed from stdin with the signed Content-Length; without the empty
    // Transfer-Encoding curl would also send chunked framing, which S3 refuses.
    // (-T FILE would append the file's name to a key ending in "/".)
    words.push("-H", "transfer-encoding:", "-T", "-");
    if (file === "placeholder") redirect = ` < "${PLACEHOLDER}"`;
    else if (file !== "stdio") redirect = ` < ${shellQuote(file.path)}`;
  } else if (typeof file === "object") {
    words.push("-o", file.path);
  }
  words.push(presigned.url);
  return words.map(shellQuote).join(" ") + redirect;
}

/**
 * One curl command uploading a file as a browser form would (POST policy):
 * every field literally (--form-string: no `@`, `<` or `;type=` parsing),
 * then the file field, last as S3 requires.
 */
export function curlForm(url: string, fields: Readonly<Record<string, string>>, file: CommandFile): string {
  if (file === "stdio") throw new Error("a POST form uploads a named file: give -f a path");
  const words = [...CURL, "--fail-with-body"].map(shellQuote);
  for (const [name, value] of Object.entries(fields)) words.push("--form-string", shellQuote(`${name}=${value}`));
  // curl's own syntax inside the -F value: a double-quoted name, with " and \ escaped.
  words.push(
    "-F",
    file === "placeholder"
      ? `"file=@\\"${PLACEHOLDER}\\""`
      : shellQuote(`file=@"${file.path.replace(/[\\"]/g, "\\$&")}"`),
  );
  words.push(shellQuote(url));
  return words.join(" ");
}
