import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, open, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { HeadObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { Interceptor } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import {
  createPresignClient,
  type DownloadParams,
  isAbortError,
  isInvalidOptionError,
  isRpcError,
  isS3Error,
  isTimeoutError,
  memoryStateStore,
  type NodeDownloadOptions,
  type NodePresignClient,
  type NodeUploadSource,
  type Progress,
  type StateStore,
  type UploadOptions,
  type UploadParams,
  type UploadResult,
} from "@presignd/client/node";
import { Operation } from "../../src/gen/presign/v1/presign_pb.js";
import { collector } from "../support/collect.js";
import { type RecordingProxy, startRecordingProxy } from "../support/recording-proxy.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// "Every option reaches every path" (issue #11): a test per option, per path,
// against the embedded S3. The effect is asserted where it lands — HEAD of the
// stored object, or what S3 received and answered, recorded by a proxy in
// front of it (--public-endpoint) — or the option is refused up front with an
// InvalidOptionError naming it, before any RPC or request.
//
// Upload paths (columns):  bytes, Blob, path (one PUT) | path above the
// threshold, Node stream, Web stream (multipart) | form (uploadForm).
// Download paths: ranged file, ranged Blob | Node Writable, WritableStream
// (sequential) | signed range.
// Each table below is the matrix: one row per option, one cell per path;
// a cell is an expectation ("ok" with a check, or "refused: <option>").

const MiB = 1024 * 1024;
const SMALL = randomBytes(1000);
const LARGE = randomBytes(10 * MiB + 123); // three 5 MiB parts (the last 123 bytes)

type UploadPathName = "bytes" | "Blob" | "path" | "path multipart" | "Node stream" | "Web stream" | "form";
const UPLOAD_PATHS: readonly UploadPathName[] = [
  "bytes",
  "Blob",
  "path",
  "path multipart",
  "Node stream",
  "Web stream",
  "form",
];
const MULTIPART: readonly UploadPathName[] = ["path multipart", "Node stream", "Web stream"];
const ONE_PUT: readonly UploadPathName[] = ["bytes", "Blob", "path"];

type DownloadPathName = "ranged file" | "ranged Blob" | "Node Writable" | "WritableStream" | "signed range";
const DOWNLOAD_PATHS: readonly DownloadPathName[] = [
  "ranged file",
  "ranged Blob",
  "Node Writable",
  "WritableStream",
  "signed range",
];
const RANGED: readonly DownloadPathName[] = ["ranged file", "ranged Blob"];
const SIGNED_RANGE = "bytes=100-1123";

let server: TestServer;
let proxy: RecordingProxy;
let client: NodePresignClient;
let s3: S3Client;
let dir: string;
let smallFile: string;
let largeFile: string;
/** RPCs the client made since the last reset: method name, request, response. */
let rpcs: { method: string; request: unknown; response?: unknown }[] = [];
let counter = 0;

const recordRpcs: Interceptor = (next) => async (request) => {
  const entry: (typeof rpcs)[number] = { method: request.method.name, request: request.message };
  rpcs.push(entry);
  const response = await next(request);
  if (!response.stream) entry.response = response.message;
  return response;
};

before(async () => {
  proxy = await startRecordingProxy();
  server = await startTestServer({ publicEndpoint: proxy.url, bucket: ["dev", "second"], logLevel: "warn" });
  const devS3 = server.devS3Endpoint ?? assert.fail("dev S3");
  proxy.upstreamPort = Number(new URL(devS3).port);
  client = createPresignClient({
    transport: createConnectTransport({ baseUrl: server.url, httpVersion: "1.1", interceptors: [recordRpcs] }),
  });
  s3 = new S3Client({
    endpoint: devS3,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  dir = await mkdtemp(join(tmpdir(), "presignd-options-"));
  smallFile = join(dir, "small.bin");
  largeFile = join(dir, "large.bin");
  await writeFile(smallFile, SMALL);
  await writeFile(largeFile, LARGE);
});
after(async () => {
  s3.destroy();
  await server.close();
  await proxy.close();
  await rm(dir, { recursive: true, force: true });
});

function reset(): void {
  proxy.reset();
  rpcs = [];
}

/** The stored object's HEAD, or undefined for none. */
async function head(key: string, bucket = "dev") {
  try {
    return await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  } catch (error) {
    if ((error as { name?: string }).name === "NotFound") return undefined;
    throw error;
  }
}

/** The requests that reached S3 with a method (the proxy saw them). */
const sent = (method: string) => proxy.exchanges.filter((e) => e.method === method);

async function mintHandle(key: string, operation: Operation): Promise<string> {
  const { handle } = await client.service.createHandle({ key, operations: [operation] });
  return handle;
}

// ---------------------------------------------------------------- uploads

const dataOf = (path: UploadPathName) => (MULTIPART.includes(path) ? LARGE : SMALL);

function sourceFor(path: UploadPathName, type = ""): NodeUploadSource {
  const data = dataOf(path);
  switch (path) {
    case "bytes":
      return new Uint8Array(data);
    case "Blob":
      return new Blob([data], { type });
    case "path":
    case "form":
      return type ? new File([data], "small.bin", { type }) : smallFile;
    case "path multipart":
      return largeFile;
    case "Node stream":
      return Readable.from(
        (function* () {
          for (let at = 0; at < data.length; at += 777_777) yield data.subarray(at, at + 777_777);
        })(),
      );
    case "Web stream":
      return Readable.toWeb(
        Readable.from([data.subarray(0, 3 * MiB), data.subarray(3 * MiB)]),
      ) as ReadableStream<Uint8Array>;
  }
}

/** What each path needs to be itself: multipart above a small threshold in 5 MiB parts. */
const PATH_SETTINGS: Record<UploadPathName, UploadOptions> = {
  bytes: {},
  Blob: {},
  path: {},
  "path multipart": { multipartThreshold: MiB, partSize: 5 * MiB },
  "Node stream": { partSize: 5 * MiB },
  "Web stream": { partSize: 5 * MiB },
  form: {},
};

interface UploadCall {
  readonly target?: string | { handle: string } | { keyPrefix: string };
  readonly params?: UploadParams & Record<string, unknown>;
  readonly settings?: UploadOptions;
  readonly type?: string;
}

/** What any upload path resolves to (a form's result also names its key). */
type AnyUploadResult = UploadResult & { readonly key?: string };

/** Uploads by the path; resolves to the result or the error. */
async function uploadBy(
  path: UploadPathName,
  key: string,
  call: UploadCall = {},
): Promise<{ result?: AnyUploadResult; error?: unknown }> {
  const target = call.target ?? key;
  const source = sourceFor(path, call.type);
  const {
    resume: _resume,
    partSize: _p,
    multipartThreshold: _t,
    concurrency: _c,
    maxSize: _m,
    ...transfer
  } = call.settings ?? {};
  try {
    if (path === "form") {
      return {
        result: await client.uploadForm(target, source, {
          ...transfer,
          ...(call.params ? { params: call.params } : {}),
        }),
      };
    }
    if (typeof target === "object" && "keyPrefix" in target) throw new Error("keyPrefix is for forms");
    const options: UploadOptions = {
      ...PATH_SETTINGS[path],
      ...call.settings,
      ...(call.params ? { params: call.params } : {}),
    };
    return { result: await client.upload(target, source, options) };
  } catch (error) {
    return { error };
  }
}

type Outcome = Awaited<ReturnType<typeof uploadBy>>;
type Check = (outcome: Outcome, key: string, path: UploadPathName) => Promise<void> | void;

function ok(outcome: Outcome): NonNullable<Outcome["result"]> {
  if (outcome.error !== undefined) throw outcome.error;
  return outcome.result ?? assert.fail("no result");
}

/** The call was refused before anything was sent: an InvalidOptionError naming `option`, no RPC, nothing at S3. */
function assertRefusedUpFront(error: unknown, option: string): void {
  assert.ok(isInvalidOptionError(error), `expected InvalidOptionError(${option}), got ${String(error ?? "success")}`);
  assert.equal(error.option, option);
  assert.deepEqual(proxy.exchanges, [], "nothing reached S3");
  assert.deepEqual(
    rpcs.map((r) => r.method),
    [],
    "no RPC was made",
  );
}

/** A cell that must be refused before anything was sent, naming the option. */
function refused(option: string): Check {
  return (outcome) => assertRefusedUpFront(outcome.error, option);
}

async function storedSize(key: string, bucket = "dev"): Promise<number | undefined> {
  return (await head(key, bucket))?.ContentLength;
}

interface UploadRow {
  readonly option: string;
  readonly call: (key: string, path: UploadPathName) => Promise<UploadCall> | UploadCall;
  /** Every path's check, unless `cells` says otherwise. */
  readonly check: Check;
  readonly cells?: Partial<Record<UploadPathName, Check | "n/a">>;
  /** Runs between a first failing call and the checked one (e.g. to arm the proxy). */
  readonly arm?: () => void;
}

/** Idle timeouts short enough for a test, long enough for S3 to store a 5 MiB part on a busy machine. */
const idleFor = (path: UploadPathName) => (MULTIPART.includes(path) ? 2000 : 500);

const md5 = (data: Buffer) => createHash("md5").update(data).digest("base64");
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest("base64");

const UPLOAD_MATRIX: readonly UploadRow[] = [
  {
    option: "params.bucket",
    call: () => ({ params: { bucket: "second" } }),
    check: async (outcome, key, path) => {
      ok(outcome);
      assert.equal(await storedSize(key, "second"), dataOf(path).length);
      assert.equal(await head(key), undefined, "not in the default bucket");
    },
  },
  {
    option: "params.contentType",
    call: () => ({ params: { contentType: "text/x-option" } }),
    check: async (outcome, key) => {
      ok(outcome);
      assert.equal((await head(key))?.ContentType, "text/x-option");
    },
  },
  {
    option: "params.metadata",
    call: () => ({ params: { metadata: { owner: "alice", "trace-id": "t-1" } } }),
    check: async (outcome, key) => {
      ok(outcome);
      assert.deepEqual((await head(key))?.Metadata, { owner: "alice", "trace-id": "t-1" });
    },
  },
  {
    option: "params.contentMd5",
    call: (_key, path) => ({ params: { contentMd5: md5(dataOf(path)) } }),
    check: async (outcome, key, path) => {
      const result = ok(outcome);
      const data = dataOf(path);
      assert.equal(result.parts, undefined, "S3 checks Content-MD5 on one PUT: the upload is one PUT");
      assert.deepEqual(
        sent("PUT").map((e) => e.headers["content-md5"]),
        [md5(data)],
      );
      assert.equal((await head(key))?.ETag, `"${createHash("md5").update(data).digest("hex")}"`);
    },
    cells: { form: "n/a" }, // a POST policy has no Content-MD5 condition: FormParams has no such field
  },
  {
    option: "params.checksumSha256",
    call: (_key, path) => ({ params: { checksumSha256: sha256(dataOf(path)) } }),
    check: async (outcome, key, path) => {
      const result = ok(outcome);
      assert.equal(result.parts, undefined, "a whole-object checksum makes the upload one PUT");
      assert.deepEqual(
        sent("PUT").map((e) => e.headers["x-amz-checksum-sha256"]),
        [sha256(dataOf(path))],
      );
      assert.equal(await storedSize(key), dataOf(path).length);
    },
    cells: { form: "n/a" },
  },
  {
    option: "params.expiresIn",
    call: () => ({ params: { expiresIn: 120 } }),
    check: async (outcome, key, path) => {
      ok(outcome);
      assert.ok(await head(key));
      // Every presigned request S3 received lives 120 s at most; one PUT exactly 120 s.
      const lifetimes = proxy.exchanges.map((e) => Number(e.url.searchParams.get("X-Amz-Expires")));
      if (path === "form") {
        const policy = rpcs.find((r) => r.method === "PostPolicy")?.request as { expiresIn?: { seconds: bigint } };
        assert.equal(policy.expiresIn?.seconds, 120n);
      } else {
        assert.ok(lifetimes.length > 0 && lifetimes.every((s) => s > 0 && s <= 120), JSON.stringify(lifetimes));
        if (ONE_PUT.includes(path)) assert.deepEqual(lifetimes, [120]);
      }
    },
  },
  {
    option: "handle target",
    call: async (key, path) => ({
      target: { handle: await mintHandle(key, path === "form" ? Operation.POST : Operation.PUT) },
    }),
    check: async (outcome, key, path) => {
      const result = ok(outcome);
      assert.equal(result.parts, undefined, "a handle is one PUT's (or the form's)");
      assert.equal(await storedSize(key), dataOf(path).length);
    },
  },
  {
    option: 'key ""',
    call: () => ({ target: "" }),
    check: refused("key"),
  },
  {
    option: "onProgress",
    call: () => ({ settings: { onProgress: (p: Progress) => progress.push(p) } }),
    check: async (outcome, key, path) => {
      ok(outcome);
      const size = dataOf(path).length;
      // A stream's total is unknown while it is read: its events carry none.
      const streamed = path === "Node stream" || path === "Web stream";
      assert.deepEqual(progress.at(-1), streamed ? { transferred: size } : { transferred: size, total: size });
      const counts = progress.map((p) => p.transferred);
      assert.deepEqual(
        counts,
        [...counts].sort((a, b) => a - b),
        "without a retry, progress only grows",
      );
      assert.ok(counts.every((n) => n > 0 && n <= size));
      assert.equal(await storedSize(key), size);
    },
  },
  {
    option: "signal",
    call: () => ({ settings: { signal: AbortSignal.abort() } }),
    check: async (outcome, key) => {
      assert.ok(isAbortError(outcome.error), String(outcome.error));
      assert.deepEqual(proxy.exchanges, [], "nothing reached S3");
      assert.equal(await head(key), undefined);
    },
  },
  {
    option: "retries: 0 (a 503 fails)",
    arm: () => proxy.failNext(1, "503"),
    call: () => ({ settings: { retries: 0 } }),
    check: async (outcome, key) => {
      assert.ok(isS3Error(outcome.error), String(outcome.error));
      assert.equal(outcome.error.status, 503);
      assert.equal(await head(key), undefined);
    },
  },
  {
    option: "retries: 1 (a 503, then success)",
    arm: () => proxy.failNext(1, "503"),
    call: () => ({ settings: { retries: 1 } }),
    check: async (outcome, key, path) => {
      ok(outcome);
      assert.equal(proxy.exchanges[0]?.status, 503);
      assert.equal(await storedSize(key), dataOf(path).length);
    },
  },
  {
    option: "idleTimeout (a stall, then success)",
    arm: () => proxy.failNext(1, "stall"),
    call: (_key, path) => ({ settings: { idleTimeout: idleFor(path), retries: 1 } }),
    check: async (outcome, key, path) => {
      ok(outcome);
      assert.equal(proxy.exchanges[0]?.status, 0, "the first request stalled and was abandoned");
      assert.equal(await storedSize(key), dataOf(path).length);
    },
  },
  {
    option: "idleTimeout (a stall, no retries)",
    arm: () => proxy.failNext(1, "stall"),
    call: (_key, path) => ({ settings: { idleTimeout: idleFor(path), retries: 0 } }),
    check: async (outcome, key, path) => {
      assert.ok(isTimeoutError(outcome.error), String(outcome.error));
      assert.equal(outcome.error.idleTimeoutMs, idleFor(path));
      assert.equal(await head(key), undefined);
    },
  },
  {
    option: "partSize",
    call: () => ({ settings: { partSize: 6 * MiB } }),
    check: async (outcome, key, path) => {
      const result = ok(outcome);
      assert.equal(result.parts, 2);
      // Parts go in parallel: either may reach the proxy first.
      assert.deepEqual(
        sent("PUT")
          .map((e) => Number(e.headers["content-length"]))
          .sort((a, b) => b - a),
        [6 * MiB, LARGE.length - 6 * MiB],
      );
      assert.equal(await storedSize(key), dataOf(path).length);
    },
    cells: { bytes: onePut, Blob: onePut, path: onePut, form: "n/a" },
  },
  {
    option: "concurrency: 1",
    call: () => ({ settings: { concurrency: 1 } }),
    check: async (outcome) => {
      assert.equal(ok(outcome).parts, 3);
      assert.equal(proxy.maxInFlight, 1);
    },
    cells: { bytes: onePut, Blob: onePut, path: onePut, form: "n/a" },
  },
  {
    option: "concurrency: 3",
    call: () => ({ settings: { concurrency: 3 } }),
    check: async (outcome) => {
      assert.equal(ok(outcome).parts, 3);
      assert.ok(proxy.maxInFlight > 1, `parts in flight at once: ${proxy.maxInFlight}`);
    },
    cells: { bytes: onePut, Blob: onePut, path: onePut, form: "n/a" },
  },
  {
    option: "multipartThreshold",
    // 0 sends even 1000 bytes multipart; 100 MiB keeps a 10 MiB file one PUT, while
    // a stream that outgrows one part goes multipart whatever the threshold.
    call: (_key, path) => ({ settings: { multipartThreshold: ONE_PUT.includes(path) ? 0 : 100 * MiB } }),
    check: async (outcome, key, path) => {
      const result = ok(outcome);
      const expected = ONE_PUT.includes(path) ? 1 : path === "path multipart" ? undefined : 3;
      assert.equal(result.parts, expected);
      assert.equal(await storedSize(key), dataOf(path).length);
    },
    cells: { form: "n/a" },
  },
  {
    option: "maxSize (smaller than the source)",
    call: (_key, path) => ({ settings: { maxSize: dataOf(path) === SMALL ? SMALL.length - 1 : 6 * MiB } }),
    check: async (outcome, key) => {
      // A stream is cut off where it passes its declared bound: presignd signs no part beyond it.
      assert.ok(isRpcError(outcome.error) || isInvalidOptionError(outcome.error), String(outcome.error));
      assert.equal(await head(key), undefined);
    },
    cells: {
      bytes: refused("maxSize"),
      Blob: refused("maxSize"),
      path: refused("maxSize"),
      "path multipart": refused("maxSize"),
      form: "n/a",
    },
  },
  {
    option: "resume",
    call: () => ({ settings: { resume: { store: recordingStore() } } }),
    check: async (outcome, key, path) => {
      const result = ok(outcome);
      assert.equal(result.parts, path === "path" ? 1 : 3, "resumable means multipart");
      assert.ok(
        stored.some((id) => id === `upload:/${key}`),
        "progress was saved",
      );
      assert.equal(await storeNow?.get(`upload:/${key}`), undefined, "and removed once complete");
    },
    cells: {
      // bytes and a Blob have no name or date to be recognised by; streams are read once.
      bytes: refused("resume"),
      Blob: refused("resume"),
      "Node stream": refused("resume"),
      "Web stream": refused("resume"),
      form: "n/a",
    },
  },
];

let progress: Progress[] = [];
let stored: string[] = [];
let storeNow: StateStore | undefined;
function recordingStore(): StateStore {
  const store = memoryStateStore();
  storeNow = store;
  return {
    get: (id) => store.get(id),
    set: (id, value) => {
      stored.push(id);
      return store.set(id, value);
    },
    delete: (id) => store.delete(id),
  };
}

/** A cell where a multipart setting has nothing to act on: the upload stays one PUT. */
async function onePut(outcome: Outcome, key: string, path: UploadPathName): Promise<void> {
  assert.equal(ok(outcome).parts, undefined);
  assert.equal(sent("PUT").length, 1);
  assert.equal(await storedSize(key), dataOf(path).length);
}

describe("every upload option reaches every upload path", () => {
  for (const row of UPLOAD_MATRIX) {
    describe(row.option, () => {
      for (const path of UPLOAD_PATHS) {
        const cell = row.cells?.[path] ?? row.check;
        if (cell === "n/a") continue;
        it(path, async () => {
          const key = `options/${++counter}/${path.replace(/ /g, "-")}.bin`;
          progress = [];
          stored = [];
          const call = await row.call(key, path);
          reset();
          row.arm?.();
          const outcome = await uploadBy(path, key, call);
          await cell(outcome, key, path);
        });
      }
    });
  }
});

describe("what one PUT cannot honour is refused up front", () => {
  let huge: string;
  before(async () => {
    // 6 GiB, sparse: more than one PUT may carry.
    huge = join(dir, "huge.bin");
    const file = await open(huge, "w");
    await file.truncate(6 * 1024 * MiB);
    await file.close();
  });
  const declared = () =>
    Readable.from(
      (function* () {
        yield SMALL;
      })(),
    );
  const CASES: {
    name: string;
    source: () => NodeUploadSource;
    options: (key: string) => Promise<UploadOptions> | UploadOptions;
    option: string;
    target?: (key: string) => Promise<{ handle: string }>;
  }[] = [
    {
      name: "contentMd5 on a 6 GiB file",
      source: () => huge,
      options: () => ({ params: { contentMd5: md5(SMALL) } }),
      option: "params.contentMd5",
    },
    {
      name: "checksumSha256 on a 6 GiB file",
      source: () => huge,
      options: () => ({ params: { checksumSha256: sha256(SMALL) } }),
      option: "params.checksumSha256",
    },
    {
      name: "a handle for a 6 GiB file",
      source: () => huge,
      options: () => ({}),
      option: "handle",
      target: (key) => mintHandle(key, Operation.PUT).then((handle) => ({ handle })),
    },
    {
      name: "contentMd5 on a stream declared 6 GiB (maxSize)",
      source: declared,
      options: () => ({ maxSize: 6 * 1024 * MiB, params: { contentMd5: md5(SMALL) } }),
      option: "params.contentMd5",
    },
    {
      name: "a handle for a stream declared 6 GiB (maxSize)",
      source: declared,
      options: () => ({ maxSize: 6 * 1024 * MiB }),
      option: "handle",
      target: (key) => mintHandle(key, Operation.PUT).then((handle) => ({ handle })),
    },
    {
      name: "resume with contentMd5 (one PUT has nothing to resume)",
      source: () => largeFile,
      options: () => ({ resume: { store: memoryStateStore() }, params: { contentMd5: md5(LARGE) } }),
      option: "resume",
    },
  ];
  for (const c of CASES) {
    it(c.name, async () => {
      const key = `options/${++counter}/refused.bin`;
      const target = c.target ? await c.target(key) : key;
      const options = await c.options(key);
      reset();
      const outcome = await client.upload(target, c.source(), options).then(
        (result) => ({ result }),
        (error: unknown) => ({ error }),
      );
      await refused(c.option)(outcome as Outcome, key, "bytes");
    });
  }
});

/** The conditions of the last POST policy presignd signed for the client. */
function policyConditions(): unknown[] {
  const answer = rpcs.findLast((r) => r.method === "PostPolicy")?.response as { fields: Record<string, string> };
  const policy = JSON.parse(Buffer.from(answer.fields.Policy ?? "", "base64").toString()) as { conditions: unknown[] };
  return policy.conditions;
}

describe("form parameters reach the POST policy and S3", () => {
  // `base` is a fresh prefix per row; the object is stored at `${base}object.bin` unless the row says otherwise.
  const FORM_ROWS: {
    option: string;
    call: (base: string) => UploadCall;
    check: (outcome: Outcome, base: string) => Promise<void>;
  }[] = [
    {
      option: "params.contentTypePrefix",
      call: () => ({ params: { contentTypePrefix: "image/" }, type: "image/png" }),
      check: async (outcome, base) => {
        ok(outcome);
        assert.equal((await head(`${base}object.bin`))?.ContentType, "image/png");
      },
    },
    {
      option: "params.contentTypePrefix (a file of another type)",
      call: () => ({ params: { contentTypePrefix: "image/" }, type: "text/plain" }),
      check: async (outcome) => refused("params.contentTypePrefix")(outcome, "", "form"),
    },
    {
      // The embedded S3 does not enforce content-length-range (RGW does: test/conformance/rgw-rejects.test.ts):
      // the bounds are asserted in the policy S3 received.
      option: "params.minContentLength / maxContentLength",
      call: () => ({ params: { minContentLength: 10, maxContentLength: 10_000 } }),
      check: async (outcome, base) => {
        ok(outcome);
        assert.deepEqual(
          policyConditions().find((c) => Array.isArray(c) && c[0] === "content-length-range"),
          ["content-length-range", 10, 10_000],
        );
        assert.equal(await storedSize(`${base}object.bin`), SMALL.length);
      },
    },
    {
      option: "maxContentLength unset: the source's own size",
      call: () => ({}),
      check: async (outcome) => {
        ok(outcome);
        assert.deepEqual(
          policyConditions().find((c) => Array.isArray(c) && c[0] === "content-length-range"),
          ["content-length-range", 0, SMALL.length],
        );
      },
    },
    {
      option: "params.successActionStatus",
      call: () => ({ params: { successActionStatus: 201 } }),
      check: async (outcome, base) => {
        assert.equal(ok(outcome).status, 201);
        assert.equal(await storedSize(`${base}object.bin`), SMALL.length);
      },
    },
    {
      option: "keyPrefix target (the file's name appended)",
      call: (base) => ({ target: { keyPrefix: base } }),
      check: async (outcome, base) => {
        assert.equal(ok(outcome).key, `${base}small.bin`);
        assert.equal(await storedSize(`${base}small.bin`), SMALL.length);
      },
    },
    {
      option: 'keyPrefix ""',
      call: () => ({ target: { keyPrefix: "" } }),
      check: async (outcome) => refused("key")(outcome, "", "form"),
    },
  ];
  for (const row of FORM_ROWS) {
    it(row.option, async () => {
      const base = `options/${++counter}/form/`;
      const call = row.call(base);
      reset();
      const outcome = await uploadBy("form", `${base}object.bin`, call);
      await row.check(outcome, base);
    });
  }
});

// ---------------------------------------------------------------- downloads

const OBJECT = "options/download/object.bin";
const OTHER = randomBytes(LARGE.length);

interface DownloadCall {
  readonly target?: string | { handle: string };
  readonly params?: DownloadParams;
  readonly settings?: NodeDownloadOptions;
}

async function downloadBy(path: DownloadPathName, call: DownloadCall = {}) {
  const target = call.target ?? OBJECT;
  const base: NodeDownloadOptions = RANGED.includes(path) ? { chunkSize: 4 * MiB } : {};
  const params = { ...(path === "signed range" ? { range: SIGNED_RANGE } : {}), ...call.params };
  const options: NodeDownloadOptions = { ...base, ...call.settings, params };
  const file = join(dir, `download-${++counter}.bin`);
  try {
    switch (path) {
      case "ranged file": {
        const result = await client.download(target, file, options);
        return { bytes: await readFile(file), result, file };
      }
      case "ranged Blob":
      case "signed range": {
        const blob = await client.download(target, undefined, options);
        return { bytes: Buffer.from(await blob.arrayBuffer()), file };
      }
      case "Node Writable": {
        const sink = collector();
        const result = await client.download(target, sink.writable, options);
        return { bytes: sink.bytes(), result, file };
      }
      case "WritableStream": {
        const chunks: Uint8Array[] = [];
        const result = await client.download(
          target,
          new WritableStream({ write: (c) => void chunks.push(c) }),
          options,
        );
        return { bytes: Buffer.concat(chunks), result, file };
      }
    }
  } catch (error) {
    return { error, file };
  }
}

type DownloadOutcome = NonNullable<Awaited<ReturnType<typeof downloadBy>>>;
type DownloadCheck = (outcome: DownloadOutcome, path: DownloadPathName) => Promise<void> | void;

/** What the path should have downloaded of `data`: the whole object, or the signed range. */
function expected(path: DownloadPathName, data = LARGE): Buffer {
  const [from, to] = SIGNED_RANGE.slice(6).split("-").map(Number) as [number, number];
  return path === "signed range" ? data.subarray(from, to + 1) : data;
}

function got(outcome: DownloadOutcome): Buffer {
  if (outcome.error !== undefined) throw outcome.error;
  return outcome.bytes ?? assert.fail("no bytes");
}

function refusedDownload(option: string): DownloadCheck {
  return (outcome) => {
    assertRefusedUpFront(outcome.error, option);
    assert.ok(!existsSync(outcome.file) && !existsSync(`${outcome.file}.presignd-partial`));
  };
}

interface DownloadRow {
  readonly option: string;
  readonly call: (path: DownloadPathName) => Promise<DownloadCall> | DownloadCall;
  readonly check: DownloadCheck;
  readonly cells?: Partial<Record<DownloadPathName, DownloadCheck | "n/a">>;
  readonly arm?: () => void;
}

/** A cell where a ranged setting has nothing to act on: one GET. */
function oneGet(outcome: DownloadOutcome, path: DownloadPathName): void {
  assert.ok(got(outcome).equals(expected(path)));
  assert.equal(sent("GET").length, 1);
}

const DOWNLOAD_MATRIX: readonly DownloadRow[] = [
  {
    option: "params.bucket",
    call: () => ({ params: { bucket: "second" } }),
    check: (outcome, path) => assert.ok(got(outcome).equals(expected(path, OTHER)), "the second bucket's object"),
  },
  {
    option: "params.versionId",
    call: () => ({ params: { versionId: "v-1" } }),
    check: (outcome, path) => {
      assert.ok(got(outcome).equals(expected(path)));
      const gets = sent("GET");
      assert.ok(gets.length > 0 && gets.every((e) => e.url.searchParams.get("versionId") === "v-1"));
    },
  },
  {
    option: "params.range",
    call: () => ({ params: { range: "bytes=10-19" } }),
    check: (outcome) => {
      assert.ok(got(outcome).equals(LARGE.subarray(10, 20)));
      assert.deepEqual(
        sent("GET").map((e) => e.headers.range),
        ["bytes=10-19"],
        "one request, with the signed Range",
      );
    },
  },
  {
    option: "params.overrides",
    call: () => ({
      params: {
        overrides: { contentType: "application/x-override", contentDisposition: 'attachment; filename="o.bin"' },
      },
    }),
    check: (outcome, path) => {
      assert.ok(got(outcome).equals(expected(path)));
      const gets = sent("GET");
      assert.ok(gets.length > 0);
      for (const e of gets) {
        assert.equal(e.responseHeaders["content-type"], "application/x-override");
        assert.equal(e.responseHeaders["content-disposition"], 'attachment; filename="o.bin"');
      }
    },
  },
  {
    option: "params.expiresIn",
    call: () => ({ params: { expiresIn: 120 } }),
    check: (outcome, path) => {
      assert.ok(got(outcome).equals(expected(path)));
      const gets = sent("GET");
      assert.ok(gets.length > 0 && gets.every((e) => e.url.searchParams.get("X-Amz-Expires") === "120"));
    },
  },
  {
    option: "handle target",
    call: async () => ({ target: { handle: await mintHandle(OBJECT, Operation.GET) } }),
    check: (outcome, path) => assert.ok(got(outcome).equals(expected(path))),
  },
  {
    option: 'key ""',
    call: () => ({ target: "" }),
    check: refusedDownload("key"),
  },
  {
    option: "onProgress",
    call: () => ({ settings: { onProgress: (p: Progress) => progress.push(p) } }),
    check: (outcome, path) => {
      const size = expected(path).length;
      assert.equal(got(outcome).length, size);
      assert.deepEqual(progress.at(-1), { transferred: size, total: size });
    },
  },
  {
    option: "signal",
    call: () => ({ settings: { signal: AbortSignal.abort() } }),
    check: (outcome) => {
      assert.ok(isAbortError(outcome.error), String(outcome.error));
      assert.deepEqual(proxy.exchanges, [], "nothing reached S3");
      assert.ok(!existsSync(outcome.file) && !existsSync(`${outcome.file}.presignd-partial`));
    },
  },
  {
    option: "retries: 0 (a 503 fails)",
    arm: () => proxy.failNext(1, "503"),
    call: () => ({ settings: { retries: 0 } }),
    check: (outcome) => {
      assert.ok(isS3Error(outcome.error), String(outcome.error));
      assert.equal(outcome.error.status, 503);
      assert.ok(!existsSync(outcome.file) && !existsSync(`${outcome.file}.presignd-partial`));
    },
  },
  {
    option: "retries: 1 (a 503, then success)",
    arm: () => proxy.failNext(1, "503"),
    call: () => ({ settings: { retries: 1 } }),
    check: (outcome, path) => {
      assert.ok(got(outcome).equals(expected(path)));
      assert.equal(proxy.exchanges[0]?.status, 503);
    },
  },
  {
    option: "idleTimeout (a stall, then success)",
    arm: () => proxy.failNext(1, "stall"),
    call: () => ({ settings: { idleTimeout: 500, retries: 1 } }),
    check: (outcome, path) => {
      assert.ok(got(outcome).equals(expected(path)));
      assert.equal(proxy.exchanges[0]?.status, 0, "the first request stalled and was abandoned");
    },
  },
  {
    option: "idleTimeout (a stall, no retries)",
    arm: () => proxy.failNext(1, "stall"),
    call: () => ({ settings: { idleTimeout: 500, retries: 0 } }),
    check: (outcome) => {
      assert.ok(isTimeoutError(outcome.error), String(outcome.error));
      assert.equal(outcome.error.idleTimeoutMs, 500);
    },
  },
  {
    option: "concurrency: 1",
    call: () => ({ settings: { concurrency: 1 } }),
    check: (outcome, path) => {
      assert.ok(got(outcome).equals(expected(path)));
      assert.equal(sent("GET").length, 3);
      assert.equal(proxy.maxInFlight, 1);
    },
    cells: { "Node Writable": oneGet, WritableStream: oneGet, "signed range": oneGet },
  },
  {
    option: "concurrency: 3",
    call: () => ({ settings: { concurrency: 3 } }),
    check: (outcome, path) => {
      assert.ok(got(outcome).equals(expected(path)));
      assert.equal(sent("GET").length, 3);
      // The first range alone (it tells the size), then the other two together.
      assert.equal(proxy.maxInFlight, 2);
    },
    cells: { "Node Writable": oneGet, WritableStream: oneGet, "signed range": oneGet },
  },
  {
    option: "chunkSize",
    call: () => ({ settings: { chunkSize: 2 * MiB } }),
    check: (outcome, path) => {
      assert.ok(got(outcome).equals(expected(path)));
      assert.deepEqual(
        sent("GET").map((e) => e.headers.range),
        Array.from({ length: 6 }, (_, c) => `bytes=${c * 2 * MiB}-${Math.min((c + 1) * 2 * MiB, LARGE.length) - 1}`),
      );
    },
    cells: { "Node Writable": oneGet, WritableStream: oneGet, "signed range": oneGet },
  },
  {
    option: "keepPartial",
    call: () => ({ settings: { keepPartial: true } }),
    check: (outcome, path) => {
      assert.ok(got(outcome).equals(expected(path)));
      assert.ok(!existsSync(`${outcome.file}.presignd-partial`), "nothing kept once complete");
    },
    cells: {
      "ranged Blob": refusedDownload("keepPartial"),
      "Node Writable": refusedDownload("keepPartial"),
      WritableStream: refusedDownload("keepPartial"),
      "signed range": refusedDownload("keepPartial"),
    },
  },
];

describe("every download option reaches every download path", () => {
  before(async () => {
    await client.upload(OBJECT, LARGE);
    await client.upload(OBJECT, OTHER, { params: { bucket: "second" } });
  });
  for (const row of DOWNLOAD_MATRIX) {
    describe(row.option, () => {
      for (const path of DOWNLOAD_PATHS) {
        const cell = row.cells?.[path] ?? row.check;
        if (cell === "n/a") continue;
        it(path, async () => {
          progress = [];
          const call = await row.call(path);
          reset();
          row.arm?.();
          const outcome = await downloadBy(path, call);
          await cell(outcome, path);
        });
      }
    });
  }

  it("keepPartial keeps a failed file download and the next call resumes it", async () => {
    const file = join(dir, "kept.bin");
    reset();
    let armed = false;
    const first = await client
      .download(OBJECT, file, {
        chunkSize: 2 * MiB,
        concurrency: 1,
        retries: 0,
        keepPartial: true,
        onProgress: (p) => {
          if (!armed && p.transferred >= 4 * MiB) {
            armed = true;
            proxy.failNext(10, "503");
          }
        },
      })
      .catch((e: unknown) => e);
    assert.ok(isS3Error(first), String(first));
    assert.ok(existsSync(`${file}.presignd-partial`) && existsSync(`${file}.presignd-partial.json`));
    reset();
    const second = await client.download(OBJECT, file, { chunkSize: 2 * MiB, keepPartial: true });
    assert.ok((await readFile(file)).equals(LARGE));
    assert.ok(second.parts === 6 && sent("GET").length < 6 + 1, `GETs on resuming: ${sent("GET").length}`);
    assert.ok(!existsSync(`${file}.presignd-partial`));
  });
});
