import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import * as client from "@presignd/client";

// The client's one error hierarchy, as an app imports it (the built package).
// A second copy of the module (two versions in one app, an iframe, a worker)
// is the same file under another URL: a new module instance, new classes.
// The classes live in errors.js (the entry only re-exports them), so that is
// the file loaded twice.
const copyUrl = `${new URL("./errors.js", import.meta.resolve("@presignd/client")).href}?copy`;
const copy = (await import(copyUrl)) as typeof client;

const GUARDS = {
  S3Error: client.isS3Error,
  RpcError: client.isRpcError,
  TransferAbortedError: client.isAbortError,
  TransferTimeoutError: client.isTimeoutError,
  TransferError: client.isTransferError,
  InvalidOptionError: client.isInvalidOptionError,
} as const;
type Name = keyof typeof GUARDS;

/** One of each error, built by a module instance's own classes. */
function oneOfEach(m: typeof client): Record<Name, Error> {
  return {
    S3Error: new m.S3Error(404, "NoSuchKey", "The specified key does not exist.", "R1", "http://s3.test/b/k"),
    RpcError: new m.RpcError(new ConnectError("key: must not be empty", Code.InvalidArgument)),
    TransferAbortedError: new m.TransferAbortedError("stop"),
    TransferTimeoutError: new m.TransferTimeoutError(1500),
    TransferError: new m.TransferError("network error: ECONNRESET", true),
    InvalidOptionError: new m.InvalidOptionError("params.contentMd5", "applies to one PUT"),
  };
}

describe("the client's error hierarchy", () => {
  const errors = oneOfEach(client);

  for (const [name, error] of Object.entries(errors) as [Name, Error][]) {
    it(`${name} is a PresignClientError and an Error, named ${name}; only its own guard claims it`, () => {
      assert.ok(error instanceof client.PresignClientError);
      assert.ok(error instanceof Error);
      assert.equal(error.name, name);
      assert.ok(client.isPresignClientError(error));
      for (const [other, guard] of Object.entries(GUARDS) as [Name, (e: unknown) => boolean][]) {
        assert.equal(guard(error), other === name, `${other} guard on a ${name}`);
      }
    });
  }

  it("S3Error carries S3's status, code, message, request id and the redacted URL", () => {
    const error = errors.S3Error as client.S3Error;
    assert.deepEqual(
      [error.status, error.code, error.s3Message, error.requestId, error.url],
      [404, "NoSuchKey", "The specified key does not exist.", "R1", "http://s3.test/b/k"],
    );
    assert.equal(error.message, "S3 404 NoSuchKey: The specified key does not exist. (request id R1)");
  });

  it("InvalidOptionError names the option; TransferTimeoutError the timeout", () => {
    const option = errors.InvalidOptionError as client.InvalidOptionError;
    assert.equal(option.option, "params.contentMd5");
    assert.equal(option.message, "params.contentMd5: applies to one PUT");
    assert.equal((errors.TransferTimeoutError as client.TransferTimeoutError).idleTimeoutMs, 1500);
    assert.equal((errors.TransferError as client.TransferError).retryable, true);
    assert.equal(errors.TransferAbortedError.cause, "stop");
  });

  it("RpcError wraps the ConnectError: code, rawMessage and cause", () => {
    const cause = new ConnectError("bucket: not allowed", Code.PermissionDenied);
    const error = new client.RpcError(cause);
    assert.equal(error.code, Code.PermissionDenied);
    assert.equal(error.rawMessage, "bucket: not allowed");
    assert.equal(error.message, "[permission_denied] bucket: not allowed");
    assert.equal(error.cause, cause);
    assert.ok(error.cause instanceof client.ConnectError, "the package re-exports connect's ConnectError");
  });

  it("nothing that is not S3's answer is an S3Error: look-alikes, plain errors, other kinds", () => {
    const lookAlikes: unknown[] = [
      Object.assign(new Error("S3 404 NoSuchKey"), { name: "S3Error", status: 404, code: "NoSuchKey" }),
      { name: "S3Error", status: 404, code: "NoSuchKey", message: "S3 404" },
      new ConnectError("not found", Code.NotFound),
      new DOMException("aborted", "AbortError"),
      undefined,
      null,
      "S3Error",
    ];
    for (const value of [...lookAlikes, ...Object.values(errors).filter((e) => e.name !== "S3Error")]) {
      assert.equal(client.isS3Error(value), false, String(value));
      assert.ok(!(value instanceof client.S3Error));
    }
    for (const value of lookAlikes) assert.equal(client.isPresignClientError(value), false, String(value));
  });
});

describe("the guards work across realms (a second copy of the package)", () => {
  it("is a separate module instance with its own classes", () => {
    assert.notEqual(copy.S3Error, client.S3Error);
    assert.notEqual(copy.PresignClientError, client.PresignClientError);
  });

  const foreign = oneOfEach(copy);
  for (const [name, error] of Object.entries(foreign) as [Name, Error][]) {
    it(`a ${name} from the copy fails instanceof but passes this copy's guards`, () => {
      assert.ok(!(error instanceof client.PresignClientError));
      assert.ok(!(error instanceof (client as unknown as Record<Name, new (...args: never[]) => Error>)[name]));
      assert.ok(client.isPresignClientError(error));
      for (const [other, guard] of Object.entries(GUARDS) as [Name, (e: unknown) => boolean][]) {
        assert.equal(guard(error), other === name, `${other} guard on the copy's ${name}`);
      }
    });
  }

  it("and the copy's guards recognise this copy's errors", () => {
    const s3 = oneOfEach(client).S3Error;
    assert.ok(copy.isS3Error(s3) && copy.isPresignClientError(s3));
    assert.equal(copy.isRpcError(s3), false);
  });
});
