// Presigns per second: presignd's core vs the AWS SDK's getSignedUrl vs the
// SDK's S3RequestPresigner on a prebuilt request vs a raw SHA-256 + HMAC
// floor, measured in one run on this machine. Not a test: prints a table.
// The cases take turns in short rounds and each reports its median round, so
// load from other processes on a shared machine falls on all of them alike.
//   npm run bench            (or: node --import tsx bench/presign-core.ts [seconds-per-case] [rounds])
import { createHash, createHmac } from "node:crypto";
import os from "node:os";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { getSignedUrl, S3RequestPresigner } from "@aws-sdk/s3-request-presigner";
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/protocols";
import type { BucketEndpoint } from "../src/core/bucket-endpoint.js";
import { DEFAULT_TTL_POLICY } from "../src/core/expiry.js";
import { presignGet } from "../src/core/presign-get.js";
import { createPresigner, type SigningContext } from "../src/core/signer.js";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
const SECONDS = Number(process.argv[2] ?? 2);
const ROUNDS = Number(process.argv[3] ?? 10);
const credentials = {
  accessKeyId: "AKIAIOSFODNN7EXAMPLE",
  secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
};
const region = "us-east-1";
const key = "photos/2026/11/holiday picture.jpg";

const endpoint: BucketEndpoint = {
  bucket: "examplebucket",
  region,
  protocol: "https:",
  hostname: "examplebucket.s3.us-east-1.amazonaws.com",
  pathPrefix: "",
};
const ctx: SigningContext = {
  presigner: createPresigner(credentials),
  credentials,
  now: new Date(),
  ttl: DEFAULT_TTL_POLICY,
};
const client = new S3Client({
  region,
  credentials,
  requestChecksumCalculation: "WHEN_REQUIRED",
  responseChecksumValidation: "WHEN_REQUIRED",
});
const sdkPresigner = new S3RequestPresigner({ credentials, region, sha256: Sha256 });
const prebuilt = new HttpRequest({
  method: "GET",
  protocol: "https:",
  hostname: endpoint.hostname,
  path: "/photos/2026/11/holiday%20picture.jpg",
  query: { "x-id": "GetObject" },
  headers: { host: endpoint.hostname },
});

// The floor: the two hashes and the one HMAC a SigV4 presign needs at least,
// with the signing key derived once (as the SDK caches it).
const signingKey = ["20261123", region, "s3", "aws4_request"].reduce<Buffer | string>(
  (k, part) => createHmac("sha256", k).update(part).digest(),
  `AWS4${credentials.secretAccessKey}`,
);
function floor(): string {
  const canonical = `GET\n/photos/2026/11/holiday%20picture.jpg\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${credentials.accessKeyId}%2F20261123%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261123T000000Z&X-Amz-Expires=900&X-Amz-SignedHeaders=host&x-id=GetObject\nhost:${endpoint.hostname}\n\nhost\nUNSIGNED-PAYLOAD`;
  const toSign = `AWS4-HMAC-SHA256\n20261123T000000Z\n20261123/us-east-1/s3/aws4_request\n${createHash("sha256").update(canonical).digest("hex")}`;
  return `https://${endpoint.hostname}/photos/2026/11/holiday%20picture.jpg?X-Amz-Signature=${createHmac("sha256", signingKey).update(toSign).digest("hex")}`;
}

const cases: [string, () => Promise<unknown> | unknown][] = [
  [
    "SDK getSignedUrl (per call: middleware stack, endpoint rules)",
    () => getSignedUrl(client, new GetObjectCommand({ Bucket: "examplebucket", Key: key }), { expiresIn: 900 }),
  ],
  ["SDK S3RequestPresigner.presign, prebuilt request", () => sdkPresigner.presign(prebuilt, { expiresIn: 900 })],
  [
    "presignd core presignGet (validate + build + SDK SignatureV4)",
    () => presignGet(endpoint, { key }, { ...ctx, now: new Date() }),
  ],
  ["floor: SHA-256 + HMAC only (node:crypto)", floor],
];

// One round: ms per op over `ms` milliseconds, in batches of 100 calls.
async function round(fn: () => Promise<unknown> | unknown, ms: number): Promise<number> {
  let n = 0;
  const start = performance.now();
  const end = start + ms;
  while (performance.now() < end) {
    for (let i = 0; i < 100; i++) await fn();
    n += 100;
  }
  return (performance.now() - start) / n;
}

for (const [, fn] of cases) await round(fn, 300); // warm-up
const rounds: number[][] = cases.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  for (const [i, [, fn]] of cases.entries()) rounds[i]?.push(await round(fn, (SECONDS * 1000) / ROUNDS));
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return ((s[(s.length - 1) >> 1] ?? 0) + (s[s.length >> 1] ?? 0)) / 2;
};
const results = cases.map(([name], i): [string, number] => [name, median(rounds[i] ?? [])]);
const sdk = results[0]?.[1] ?? 1;
console.log(
  `presign throughput — ${os.cpus()[0]?.model ?? "cpu"} ×${os.cpus().length}, Node ${process.version}, ` +
    `${SECONDS}s per case in ${ROUNDS} interleaved rounds (median round)`,
);
console.log("| case | µs/op | ops/s | speed-up vs getSignedUrl |");
console.log("|---|---:|---:|---:|");
for (const [name, ms] of results) {
  console.log(
    `| ${name} | ${(ms * 1000).toFixed(1)} | ${Math.round(1000 / ms).toLocaleString("en-US")} | ${(sdk / ms).toFixed(1)}× |`,
  );
}
const [, presigner, core, floorMs] = results.map(([, ms]) => ms);
if (presigner !== undefined && core !== undefined && floorMs !== undefined) {
  console.log(
    `core vs S3RequestPresigner: ${(presigner / core).toFixed(2)}×; core vs floor: ${(core / floorMs).toFixed(1)}× slower`,
  );
}
