import type { Interceptor } from "@connectrpc/connect";
import type { Authenticator } from "../auth/authenticate.js";
import { PRESENTED_CREDENTIALS } from "../auth/presented-credentials.js";
import { PRINCIPAL } from "../auth/principal.js";

// Health checks and reflection describe the server, not the buckets.
const OPEN_SERVICES = new Set([
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
]);

/** Sets contextValues[PRINCIPAL] for every RPC of a protected service. */
export function authentication(authenticator: Authenticator): Interceptor {
  return (next) => async (req) => {
    if (!OPEN_SERVICES.has(req.service.typeName)) {
      req.contextValues.set(PRINCIPAL, await authenticator.authenticate(req.contextValues.get(PRESENTED_CREDENTIALS)));
    }
    return next(req);
  };
}
