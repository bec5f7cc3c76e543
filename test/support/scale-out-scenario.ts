import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { HandleKind, Operation, PresignService } from "../../src/gen/presign/v1/presign_pb.js";
import { freePort } from "./free-port.js";
import { type Haproxy, HEALTH_CHECK, startHaproxy } from "./haproxy.js";
import { type LoadCounts, startLoad } from "./load-driver.js";
import { CLUSTER_BUCKET, type PresigndCluster, startPresigndCluster } from "./presignd-cluster.js";

export interface ScaleOutOptions {
  readonly instances: number;
  /** Load before and after each disruption. */
  readonly settleMs: number;
  readonly concurrency: number;
  readonly ratePerSecond: number;
  /** --drain-delay of the instances: longer than HAProxy takes to see /readyz fail (HEALTH_CHECK). */
  readonly drainDelay: string;
  readonly shutdownTimeout: string;
  /** Progress lines (the script prints them; the test stays quiet). */
  readonly log?: (line: string) => void;
}

/** A handle minted on one instance and used (GetObject) on another, bypassing the balancer. */
export interface HandleUse {
  readonly kind: "stored" | "sealed";
  readonly mintedOn: string;
  readonly usedOn: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface ScaleOutResult {
  readonly handleUses: readonly HandleUse[];
  /** A stored handle revoked on one instance, then refused by another (failed_precondition). */
  readonly revocationSeen: boolean;
  /** (a): one instance killed with kill -9 under load. */
  readonly kill: {
    readonly instance: string;
    readonly counts: LoadCounts;
    /** From the kill until HAProxy marked it DOWN. */
    readonly detectedMs: number;
  };
  /** (b): every instance drained (SIGTERM), waited for, started again, in turn, under load. */
  readonly rolling: {
    readonly counts: LoadCounts;
    readonly restarts: readonly {
      readonly instance: string;
      readonly exitCode: number | null;
      readonly exitMs: number;
    }[];
  };
  readonly durationMs: number;
  /** HAProxy's log: each server going DOWN or UP, and why. */
  readonly balancerLog: string;
}

/**
 * Issue #16's scale-out scenario: N presignd instances behind HAProxy
 * sharing a PostgreSQL handle store and a sealing key; handles cross
 * instances; then bounded load through the balancer during (a) a kill -9 and
 * (b) a rolling restart. scripts/scale-out.ts runs it long, test/debian short.
 */
export async function runScaleOut(options: ScaleOutOptions): Promise<ScaleOutResult> {
  const log = options.log ?? (() => {});
  const began = Date.now();
  const cluster = await startPresigndCluster({
    count: options.instances,
    drainDelay: options.drainDelay,
    shutdownTimeout: options.shutdownTimeout,
  });
  let haproxy: Haproxy | undefined;
  try {
    haproxy = await startHaproxy({
      http1Port: await freePort(),
      h2cPort: await freePort(),
      backends: cluster.instances.map(({ name, port }) => ({ name, port })),
    });
    const lb = haproxy;
    for (const { name } of cluster.instances) await lb.waitForState(name, "UP");
    log(`${cluster.instances.length} instances UP behind HAProxy (${lb.http1Url} HTTP/1.1, ${lb.h2cUrl} h2c)`);

    const { uses, handles, revocationSeen } = await crossInstanceHandles(cluster);
    log(`handles across instances: ${uses.filter((u) => u.ok).length}/${uses.length} uses OK`);

    const load = () =>
      startLoad({
        http1Url: lb.http1Url,
        h2cUrl: lb.h2cUrl,
        apiKey: cluster.apiKey,
        concurrency: options.concurrency,
        ratePerSecond: options.ratePerSecond,
        handles,
        bucket: CLUSTER_BUCKET,
      });

    // (a) kill -9 one instance under load.
    const victim = cluster.instances[1 % cluster.instances.length]?.name as string;
    let running = load();
    await sleep(options.settleMs);
    const killedAt = Date.now();
    await cluster.kill(victim);
    await lb.waitForState(victim, "DOWN");
    const detectedMs = Date.now() - killedAt;
    log(`(a) killed ${victim} with kill -9; HAProxy marked it DOWN after ${detectedMs} ms`);
    await sleep(options.settleMs);
    const killCounts = await running.stop();
    await cluster.start(victim);
    await lb.waitForState(victim, "UP");

    // (b) rolling restart: drain each in turn, wait for its exit, start it again, wait until it is back in rotation.
    running = load();
    await sleep(options.settleMs);
    const restarts: { instance: string; exitCode: number | null; exitMs: number }[] = [];
    for (const { name } of cluster.instances) {
      const { code, ms } = await cluster.stop(name);
      restarts.push({ instance: name, exitCode: code, exitMs: ms });
      await cluster.start(name);
      await lb.waitForState(name, "UP");
      log(`(b) ${name}: drained and exited ${code} after ${ms} ms, started again, UP`);
    }
    await sleep(options.settleMs);
    const rollingCounts = await running.stop();
    return {
      handleUses: uses,
      revocationSeen,
      kill: { instance: victim, counts: killCounts, detectedMs },
      rolling: { counts: rollingCounts, restarts },
      durationMs: Date.now() - began,
      balancerLog: lb.log(),
    };
  } finally {
    await haproxy?.close();
    await cluster.close();
  }
}

/** Mints a stored and a sealed handle on each instance and uses each on every other instance. */
async function crossInstanceHandles(cluster: PresigndCluster): Promise<{
  uses: HandleUse[];
  handles: { handle: string; key: string }[];
  revocationSeen: boolean;
}> {
  const client = (url: string) =>
    createClient(
      PresignService,
      createConnectTransport({
        baseUrl: url,
        httpVersion: "1.1",
        interceptors: [
          (next) => (req) => {
            req.header.set("x-api-key", cluster.apiKey);
            return next(req);
          },
        ],
      }),
    );
  const uses: HandleUse[] = [];
  const handles: { handle: string; key: string }[] = [];
  for (const minter of cluster.instances) {
    for (const [kind, handleKind] of [
      ["stored", HandleKind.STORED],
      ["sealed", HandleKind.SEALED],
    ] as const) {
      const key = `handles/${minter.name}-${kind}.bin`;
      const { handle } = await client(minter.url).createHandle({
        key,
        operations: [Operation.GET],
        kind: handleKind,
      });
      handles.push({ handle, key });
      for (const user of cluster.instances.filter((i) => i !== minter)) {
        const used = await client(user.url)
          .getObject({ handle })
          .then(
            (res) => ({ ok: res.url.includes(`/${CLUSTER_BUCKET}/${key}?`), detail: res.url.split("?")[0] ?? "" }),
            (error: unknown) => ({ ok: false, detail: ConnectError.from(error).message }),
          );
        uses.push({ kind, mintedOn: minter.name, usedOn: user.name, ...used });
      }
    }
  }
  // Revoked on the last instance, refused by the first.
  const first = cluster.instances[0];
  const last = cluster.instances.at(-1);
  if (!first || !last) throw new Error("no instances");
  const { handle } = await client(first.url).createHandle({
    key: "handles/revoked.bin",
    operations: [Operation.GET],
    kind: HandleKind.STORED,
  });
  await client(last.url).revokeHandle({ handle });
  const refused = await client(first.url)
    .getObject({ handle })
    .then(
      () => undefined,
      (error: unknown) => ConnectError.from(error),
    );
  return { uses, handles, revocationSeen: refused?.code === Code.FailedPrecondition };
}

/** The drain delay HAProxy needs at least: `fall` failed checks, `interval` apart, plus one interval of slack. */
export const MIN_DRAIN_DELAY_MS = (HEALTH_CHECK.fall + 1) * HEALTH_CHECK.intervalMs;
