import { Option } from "commander";

/** What a presigned GET may ask for beyond the key (get, presign get). */
export interface GetObjectFlags {
  versionId?: string;
  range?: string;
  /** The response's Content-Type (presign: -t, --content-type). */
  contentType?: string;
  contentDisposition?: string;
  cacheControl?: string;
  contentEncoding?: string;
  contentLanguage?: string;
  expires?: string;
  downloadFilename?: string;
}

/** Response headers S3 sets from the signed URL, by GetObjectRequest.overrides field. */
const OVERRIDES = [
  ["contentDisposition", "--content-disposition <value>", "Content-Disposition, e.g. 'attachment; filename=\"a.pdf\"'"],
  ["cacheControl", "--cache-control <value>", "Cache-Control, e.g. no-cache"],
  ["contentEncoding", "--content-encoding <value>", "Content-Encoding, e.g. gzip"],
  ["contentLanguage", "--content-language <value>", "Content-Language, e.g. en-GB"],
  ["expires", "--expires <http-date>", "Expires, e.g. 'Wed, 21 Oct 2026 07:28:00 GMT'"],
  [
    "downloadFilename",
    "--download-filename <name>",
    "Content-Disposition: attachment, saved as this file name (any script; RFC 6266)",
  ],
] as const;

/** --version-id, --range and the response overrides; `contentType` adds --content-type (get has no -t). */
export function getObjectOptions({ contentType }: { contentType: boolean }): Option[] {
  return [
    new Option("--version-id <id>", "a specific version of the object (S3 versionId)"),
    new Option("--range <range>", "only these bytes: 0-99, 100- or -500 (RFC 9110; bytes= is optional)").argParser(
      (value) => (/^\d*-\d*$/.test(value) ? `bytes=${value}` : value),
    ),
    ...(contentType ? [new Option("--content-type <type>", "Content-Type of the response")] : []),
    ...OVERRIDES.map(([, flags, header]) => new Option(flags, `response ${header}`)),
  ];
}

/** The GetObjectRequest fields the flags set. */
export function getObjectRequest(flags: GetObjectFlags) {
  const overrides: Record<string, string> = {};
  if (flags.contentType) overrides.contentType = flags.contentType;
  for (const [field] of OVERRIDES) {
    const value = flags[field];
    if (value) overrides[field] = value;
  }
  return {
    ...(flags.versionId ? { versionId: flags.versionId } : {}),
    ...(flags.range ? { range: flags.range } : {}),
    ...(Object.keys(overrides).length > 0 ? { overrides } : {}),
  };
}

/** The flags above that a command only takes for GET (to refuse them for put and post). */
export const GET_ONLY_FLAGS: readonly (keyof GetObjectFlags)[] = ["versionId", "range", ...OVERRIDES.map(([f]) => f)];
