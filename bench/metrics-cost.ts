// What metrics add to one RPC: the rpcMetrics interceptor around a handler
// that answers at once (vs the bare handler), and the counter updates a
// presign makes besides (one policy decision, one presign). Not a test:
// prints µs per RPC. Cases take turns in rounds; each reports its median.
//   npm run bench:metrics    (or: node --import tsx bench/metrics-cost.ts [rounds] [calls-per-round])
import { createContextValues, type UnaryRequest, type UnaryResponse } from "@connectrpc/connect";
import { GetObjectRequestSchema, PresignService } from "../src/gen/presign/v1/presign_pb.js";
import { Metrics } from "../src/server/metrics/metrics.js";
import { rpcMetrics } from "../src/server/pipeline/rpc-metrics.js";

const ROUNDS = Number(process.argv[2] ?? 15);
const CALLS = Number(process.argv[3] ?? 200_000);

const metrics = new Metrics(new Set(["dev"]));
const method = PresignService.method.getObject;
const request = {
  stream: false,
  service: PresignService,
  method,
  requestMethod: "POST",
  url: "http://127.0.0.1/presign.v1.PresignService/GetObject",
  signal: new AbortController().signal,
  header: new Headers({ "content-type": "application/proto" }),
  contextValues: createContextValues(),
  message: { $typeName: GetObjectRequestSchema.typeName },
} as unknown as UnaryRequest;
const response = { stream: false, message: {} } as unknown as UnaryResponse;
const bare = async (_req: UnaryRequest): Promise<UnaryResponse> => response;
const measured = rpcMetrics(metrics)(bare as never) as typeof bare;

const cases: Record<string, () => Promise<unknown> | undefined> = {
  "bare handler": () => bare(request),
  "rpcMetrics(handler)": () => measured(request),
  "decision + presign counters": () => {
    metrics.decided("allow", "home");
    metrics.signed("get", "dev");
    return undefined;
  },
};

async function round(run: () => Promise<unknown> | undefined): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < CALLS; i++) await run();
  return ((performance.now() - start) * 1000) / CALLS;
}

const results: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
for (const run of Object.values(cases)) await round(run); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, run] of Object.entries(cases)) results[name]?.push(await round(run));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const us = Object.fromEntries(Object.entries(results).map(([name, values]) => [name, median(values)]));
for (const [name, value] of Object.entries(us)) console.log(`${name.padEnd(30)} ${value.toFixed(3)} µs/call`);
const added = (us["rpcMetrics(handler)"] ?? 0) - (us["bare handler"] ?? 0) + (us["decision + presign counters"] ?? 0);
console.log(`added per presign RPC (interceptor − bare + counters): ${added.toFixed(2)} µs`);
