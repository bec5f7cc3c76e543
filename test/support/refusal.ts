import assert from "node:assert/strict";
import { ConnectError } from "@connectrpc/connect";

/** The ConnectError a call fails with; fails the test when the call succeeds. */
export function refusal(call: Promise<unknown>): Promise<ConnectError> {
  return call.then(
    () => assert.fail("expected the call to be refused"),
    (error: unknown) => ConnectError.from(error),
  );
}
