import type { MessageInitShape } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext } from "@connectrpc/connect";
import {
  type HealthCheckRequest,
  type HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Status,
} from "../../gen/grpc/health/v1/health_pb.js";
import type { HealthState, ServingState } from "./health-state.js";

type Answer = MessageInitShape<typeof HealthCheckResponseSchema>;
const STATUS: Record<ServingState, Status> = { SERVING: Status.SERVING, NOT_SERVING: Status.NOT_SERVING };

/** grpc.health.v1.Health: "" (the server) and each served service share one state. */
export function healthService(health: HealthState, services: readonly string[]) {
  const known = (name: string) => name === "" || services.includes(name);
  return {
    async check(req: HealthCheckRequest): Promise<Answer> {
      if (!known(req.service)) {
        throw new ConnectError(`service: "${req.service.slice(0, 128)}" is not served here`, Code.NotFound);
      }
      return { status: STATUS[(await health.current()).state] };
    },

    async *watch(req: HealthCheckRequest, ctx: HandlerContext): AsyncIterable<Answer> {
      if (!known(req.service)) {
        yield { status: Status.SERVICE_UNKNOWN };
        await closed(ctx.signal);
        return;
      }
      const changes: ServingState[] = [];
      let wake: (() => void) | undefined;
      const stop = health.watch((state) => {
        changes.push(state);
        wake?.();
      });
      try {
        let last = (await health.current()).state;
        yield { status: STATUS[last] };
        while (!ctx.signal.aborted && !health.isShutdown) {
          if (changes.length === 0) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              ctx.signal.addEventListener("abort", () => resolve(), { once: true });
            });
          }
          wake = undefined;
          for (const state of changes.splice(0)) {
            if (state === last) continue;
            last = state;
            yield { status: STATUS[state] };
          }
        }
      } finally {
        stop();
      }
    },
  };
}

function closed(signal: AbortSignal): Promise<void> {
  return signal.aborted
    ? Promise.resolve()
    : new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
