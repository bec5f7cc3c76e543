import { AsyncLocalStorage } from "node:async_hooks";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { PRESENTED_CREDENTIALS, type PresentedCredentials } from "./presented-credentials.js";

// connect-es 2.1.2's createRouterTransport (createUniversalHandlerClient)
// hands the server side no contextValues: those given to a client call stay
// on the client side. The credentials of the HTTP request an in-process call
// is made for travel beside the call instead, in the call's async context.
const caller = new AsyncLocalStorage<PresentedCredentials>();

/** Runs in-process calls with the credentials an HTTP request presented (raw headers, TLS peer, address). */
export function asCaller<T>(credentials: PresentedCredentials, call: () => Promise<T>): Promise<T> {
  return caller.run(credentials, call);
}

/**
 * First interceptor of an in-process router: the server side of the call
 * sees what the HTTP request presented, exactly as an RPC off the wire does.
 */
export const callerCredentials: Interceptor = (next) => (req) => {
  const credentials = caller.getStore();
  if (!credentials) throw new ConnectError("in-process call made outside asCaller()", Code.Internal);
  req.contextValues.set(PRESENTED_CREDENTIALS, credentials);
  return next(req);
};
