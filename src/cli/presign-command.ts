import { toJson } from "@bufbuild/protobuf";
import { Command, InvalidArgumentError, Option } from "commander";
import { type PresignedRequest, PresignedRequestSchema } from "../gen/presign/v1/presign_pb.js";
import { type ClientFlags, clientFor, clientOptions } from "./client-options.js";
import { metadataOption } from "./upload-options.js";

interface PresignFlags extends ClientFlags {
  contentLength?: bigint;
  contentType?: string;
  metadata: Record<string, string>;
  ttl?: number;
}

export function presignCommand(): Command {
  const cmd = new Command("presign")
    .description("print a presigned request as JSON (url, method, headers, expiresAt)")
    .argument("<method>", "get or put")
    .argument("<key>", "object key")
    .addOption(new Option("-l, --content-length <bytes>", "exact body size (put)").argParser(parseLength))
    .option("-t, --content-type <type>", "Content-Type to sign (put)")
    .addOption(metadataOption())
    .addOption(new Option("--ttl <seconds>", "lifetime in seconds (default: the server's)").argParser(parseSeconds));
  for (const option of clientOptions()) cmd.addOption(option);
  return cmd.action(async (method: string, key: string, flags: PresignFlags) => {
    const client = clientFor(flags);
    const common = {
      key,
      ...(flags.bucket ? { bucket: flags.bucket } : {}),
      ...(flags.ttl ? { expiresIn: { seconds: BigInt(flags.ttl) } } : {}),
    };
    let presigned: PresignedRequest;
    switch (method.toLowerCase()) {
      case "get":
        presigned = await client.service.getObject(common);
        break;
      case "put":
        if (flags.contentLength === undefined) throw new Error("presign put needs -l/--content-length <bytes>");
        presigned = await client.service.putObject({
          ...common,
          contentLength: flags.contentLength,
          ...(flags.contentType ? { contentType: flags.contentType } : {}),
          metadata: flags.metadata,
        });
        break;
      default:
        throw new Error(`method must be get or put, got "${method}"`);
    }
    process.stdout.write(`${JSON.stringify(toJson(PresignedRequestSchema, presigned), null, 2)}\n`);
  });
}

function parseLength(value: string): bigint {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected a number of bytes, got "${value}"`);
  return BigInt(value);
}

function parseSeconds(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`expected whole seconds, got "${value}"`);
  return Number(value);
}
