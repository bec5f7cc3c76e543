import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { toJson } from "@bufbuild/protobuf";
import { fillFilename } from "@presignd/client/node";
import { Argument, Command, InvalidArgumentError, Option } from "commander";
import { PostPolicyResponseSchema, PresignedRequestSchema } from "../gen/presign/v1/presign_pb.js";
import { parseByteSize } from "./byte-size.js";
import { type ClientFlags, clientFor, clientOptions } from "./client-options.js";
import { type CommandFile, curlForm, curlRequest } from "./curl-command.js";
import { GET_ONLY_FLAGS, type GetObjectFlags, getObjectOptions, getObjectRequest } from "./get-options.js";
import { helpExamples } from "./help-examples.js";
import { cacheWindow, cacheWindowOption, cappedTtlWarning, expiresIn, ttlOption } from "./ttl-option.js";
import { metadataOption } from "./upload-options.js";

type Format = "json" | "url" | "curl";
type Method = "get" | "put" | "post" | "head" | "delete" | "list";

interface ListFlags {
  delimiter?: string;
  maxKeys?: number;
  startAfter?: string;
  continuationToken?: string;
}

interface PresignFlags extends ClientFlags, GetObjectFlags, ListFlags {
  format: Format;
  file?: string;
  contentLength?: bigint;
  metadata: Record<string, string>;
  ttl?: number;
  cacheWindow?: number;
}

const LIST_FLAGS: readonly (keyof ListFlags)[] = ["delimiter", "maxKeys", "startAfter", "continuationToken"];

export function presignCommand(): Command {
  const cmd = new Command("presign")
    .description("print a presigned request: JSON (url, method, headers, expiresAt), the bare URL, or a curl command")
    .addArgument(
      new Argument("<method>", "what the request does").choices(["get", "put", "post", "head", "delete", "list"]),
    )
    .argument("<key>", "object key (post: may end in ${filename}; list: the prefix, '' for the whole bucket)")
    .addOption(
      new Option("--format <format>", "json, url (the bare URL) or curl (one ready-to-run command)")
        .choices(["json", "url", "curl"])
        .default("json"),
    )
    .option(
      "-f, --file <path>",
      "the file the curl command uploads (put: also its signed length) or writes the object to (get; default stdout)",
    )
    .addOption(
      new Option("-l, --content-length <size>", "put: exact body size; post: largest file allowed").argParser((value) =>
        BigInt(parseByteSize(value)),
      ),
    )
    .option("-t, --content-type <type>", "put, post: Content-Type to sign; get: Content-Type of the response")
    .addOption(metadataOption())
    .addOption(ttlOption())
    .addOption(cacheWindowOption())
    .option("--delimiter <text>", "list: group keys by this separator, e.g. / (S3 CommonPrefixes)")
    .addOption(new Option("--max-keys <n>", "list: at most this many keys per answer (1-1000)").argParser(wholeNumber))
    .option("--start-after <key>", "list: keys after this one")
    .option("--continuation-token <token>", "list: NextContinuationToken of the previous page");
  for (const option of [...getObjectOptions({ contentType: false }), ...clientOptions()]) cmd.addOption(option);
  cmd.addHelpText(
    "after",
    helpExamples(
      "presignd presign get reports/2026.csv --ttl 1h --format url",
      "presignd presign get reports/2026.csv --format curl --content-disposition 'attachment; filename=\"r.csv\"'",
      "presignd presign put photos/cat.jpg -f cat.jpg -t image/jpeg --format curl",
      "presignd presign put photos/cat.jpg -l 52133 --format curl   # FILE=cat.jpg <command> to run it",
      "presignd presign post 'uploads/${filename}' -f report.csv --format curl",
      "presignd presign post 'uploads/${filename}' -l 10MiB       # a policy for files up to 10 MiB (JSON)",
      "presignd presign head reports/2026.csv --format curl      # curl --head …",
      "presignd presign get site/logo.png --ttl 1h --cache-window 5m --format url   # the same URL for 5 minutes",
      "presignd presign delete reports/2026.csv --ttl 5m --format url",
      "presignd presign list reports/ --delimiter / --max-keys 100 --format curl   # ListObjectsV2 XML",
    ),
  );
  return cmd.action(async (method: Method, key: string, flags: PresignFlags) => {
    refuseFlagsOf(method, flags);
    const client = clientFor(flags);
    const file: CommandFile =
      flags.file === undefined ? "placeholder" : flags.file === "-" ? "stdio" : { path: flags.file };
    const bucket = flags.bucket ? { bucket: flags.bucket } : {};
    const common = { key, ...bucket, ...expiresIn(flags.ttl) };
    const versionId = flags.versionId ? { versionId: flags.versionId } : {};
    let output: { json: unknown; url: string; curl: () => string };
    if (method === "post") {
      if (file === "stdio") throw new Error("presign post -f: a POST form uploads a named file; give a path");
      const size = typeof file === "object" ? await fileSize(file.path) : undefined;
      const max = flags.contentLength ?? (size === undefined ? undefined : BigInt(Math.max(size, 1)));
      if (max === undefined) {
        throw new Error("presign post needs -f/--file FILE or -l/--content-length <bytes> (the largest file allowed)");
      }
      const policy = await client.service.postPolicy({
        ...common,
        maxContentLength: max,
        ...(flags.contentType ? { contentType: flags.contentType } : {}),
        metadata: flags.metadata,
      });
      const fields = { ...policy.fields };
      // Named as `post` names it, whether or not the S3 server fills in ${filename}.
      if (typeof file === "object" && fields.key !== undefined)
        fields.key = fillFilename(fields.key, basename(file.path));
      output = {
        json: toJson(PostPolicyResponseSchema, policy),
        url: policy.url,
        curl: () => curlForm(policy.url, fields, file),
      };
      const amzDate = Object.entries(policy.fields).find(([name]) => name.toLowerCase() === "x-amz-date")?.[1];
      warn(cappedTtlWarning(flags.ttl, policy.expiresAt, amzDate));
    } else {
      const presigned =
        method === "get"
          ? await client.service.getObject({ ...common, ...getObjectRequest(flags), ...cacheWindow(flags.cacheWindow) })
          : method === "head"
            ? await client.service.headObject({ ...common, ...versionId, ...cacheWindow(flags.cacheWindow) })
            : method === "delete"
              ? await client.service.deleteObject({ ...common, ...versionId })
              : method === "list"
                ? await client.service.listObjects({
                    prefix: key,
                    ...bucket,
                    ...expiresIn(flags.ttl),
                    ...(flags.delimiter ? { delimiter: flags.delimiter } : {}),
                    ...(flags.maxKeys ? { maxKeys: flags.maxKeys } : {}),
                    ...(flags.startAfter ? { startAfter: flags.startAfter } : {}),
                    ...(flags.continuationToken ? { continuationToken: flags.continuationToken } : {}),
                  })
                : await client.service.putObject({
                    ...common,
                    contentLength: await putLength(flags.contentLength, file),
                    ...(flags.contentType ? { contentType: flags.contentType } : {}),
                    metadata: flags.metadata,
                  });
      output = {
        json: toJson(PresignedRequestSchema, presigned),
        url: presigned.url,
        curl: () => curlRequest(presigned, file),
      };
      warn(cappedTtlWarning(flags.ttl, presigned.expiresAt, new URL(presigned.url).searchParams.get("X-Amz-Date")));
    }
    const text =
      flags.format === "json"
        ? JSON.stringify(output.json, null, 2)
        : flags.format === "url"
          ? output.url
          : output.curl();
    process.stdout.write(`${text}\n`);
  });
}

/** put signs an exact length: -l, or the size of -f's file (both: they must agree). */
async function putLength(flag: bigint | undefined, file: CommandFile): Promise<bigint> {
  if (typeof file !== "object") {
    if (flag === undefined) throw new Error("presign put needs -l/--content-length <bytes> or -f/--file FILE");
    return flag;
  }
  const size = BigInt(await fileSize(file.path));
  if (flag !== undefined && flag !== size) {
    throw new Error(`-l/--content-length ${flag} differs from the size of ${file.path} (${size} bytes)`);
  }
  return size;
}

async function fileSize(path: string): Promise<number> {
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`-f/--file ${path} is not a regular file`);
  return info.size;
}

/** Flags that mean nothing for the method are refused rather than ignored. */
function refuseFlagsOf(method: Method, flags: PresignFlags): void {
  const noBody = ["contentLength", "metadata", "contentType"];
  const objectOnly = [...GET_ONLY_FLAGS.filter((f) => f !== "versionId"), ...noBody, "file", ...LIST_FLAGS];
  const notFor: Record<Method, readonly string[]> = {
    get: ["contentLength", "metadata", ...LIST_FLAGS],
    put: [...GET_ONLY_FLAGS, ...LIST_FLAGS, "cacheWindow"],
    post: [...GET_ONLY_FLAGS, ...LIST_FLAGS, "cacheWindow"],
    head: objectOnly,
    delete: [...objectOnly, "cacheWindow"],
    list: [...GET_ONLY_FLAGS, ...noBody, "cacheWindow"],
  };
  for (const name of notFor[method] ?? []) {
    const value = flags[name as keyof PresignFlags];
    if (value === undefined || (typeof value === "object" && Object.keys(value).length === 0)) continue;
    const option = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new Error(`--${option} does not apply to presign ${method}`);
  }
}

/** A count the server bounds (--max-keys: ListObjectsRequest.max_keys, 1-1000). */
function wholeNumber(value: string): number {
  if (!/^\d{1,9}$/.test(value)) throw new InvalidArgumentError(`expected a whole number, got "${value}"`);
  return Number(value);
}

function warn(message: string | undefined): void {
  if (message) process.stderr.write(`presignd: ${message}\n`);
}
