import { HttpRequest } from "@smithy/core/protocols";
import { SignatureV4 } from "@smithy/signature-v4";
import type { SigningCredentials } from "../../core/signer.js";
import { signerSha256 } from "../../core/signer-hash.js";

/** What a topic pushes to, and how (RGW's CreateTopic attributes). */
export interface RgwTopic {
  readonly name: string;
  /** The HTTP(S) URL RGW POSTs each notification to. */
  readonly pushEndpoint: string;
  /** Sent back in every record as `opaqueData`: how the endpoint knows the sender. */
  readonly opaqueData: string;
  /** Queued by RGW and retried until the endpoint answers 2xx. */
  readonly persistent: boolean;
}

const TIMEOUT_MS = 15_000;

/**
 * Ceph RGW's SNS-compatible CreateTopic (POST / Action=CreateTopic at the S3
 * endpoint), signed with the SDK's SigV4 signer: returns the topic's ARN.
 * RGW overwrites the attributes of an existing topic of that name, so calling
 * it again with the same topic is harmless.
 */
export async function createRgwTopic(
  /** The store's endpoint (--endpoint): the topic API is at its root. */
  endpoint: { readonly url: string; readonly region: string },
  credentials: SigningCredentials,
  topic: RgwTopic,
): Promise<string> {
  const attributes: [string, string][] = [
    ["push-endpoint", topic.pushEndpoint],
    ["OpaqueData", topic.opaqueData],
    ["persistent", String(topic.persistent)],
  ];
  const form = new URLSearchParams({ Action: "CreateTopic", Name: topic.name });
  attributes.forEach(([key, value], i) => {
    form.set(`Attributes.entry.${i + 1}.key`, key);
    form.set(`Attributes.entry.${i + 1}.value`, value);
  });
  const body = form.toString();
  const base = new URL(endpoint.url);
  const request = new HttpRequest({
    method: "POST",
    protocol: base.protocol,
    hostname: base.hostname,
    ...(base.port ? { port: Number(base.port) } : {}),
    path: "/",
    headers: {
      host: base.host,
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      "content-length": String(Buffer.byteLength(body)),
    },
    body,
  });
  const signer = new SignatureV4({
    credentials,
    region: endpoint.region,
    service: "sns",
    sha256: signerSha256(credentials),
  });
  const signed = await signer.sign(request);
  const response = await fetch(`${base.origin}/`, {
    method: "POST",
    headers: signed.headers,
    body,
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok) {
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? "";
    throw new Error(
      `CreateTopic answered HTTP ${response.status}${code ? ` ${code}` : ""}: the store has no SNS-compatible topic API here (Ceph RGW has one)`,
    );
  }
  const arn = /<TopicArn>([^<]+)<\/TopicArn>/.exec(text)?.[1];
  if (!arn) throw new Error("CreateTopic answered without a TopicArn: not Ceph RGW's topic API");
  return arn;
}
