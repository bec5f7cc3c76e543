import type { ConnectRouter } from "@connectrpc/connect";
import { Health } from "../../src/gen/grpc/health/v1/health_pb.js";

/**
 * Routes with a grpc.health.v1.Health whose Check records the call stack it
 * runs on (into `stacks`): tests tell from it which code path answered.
 */
export function stackRecordingHealth(stacks: string[]) {
  return (router: ConnectRouter) =>
    router.service(Health, {
      check: async () => {
        stacks.push(new Error().stack ?? "");
        return { status: 1 };
      },
      watch: async function* () {},
    });
}
