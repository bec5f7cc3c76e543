import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, it } from "node:test";
import { createLogger } from "../../src/server/logging/logger.js";

function logged(write: (logger: ReturnType<typeof createLogger>) => void): Record<string, unknown> {
  let text = "";
  const sink = new Writable({
    write(chunk, _encoding, callback) {
      text += String(chunk);
      callback();
    },
  });
  write(createLogger("info", sink));
  return JSON.parse(text) as Record<string, unknown>;
}

describe("logger: secret-bearing fields are censored wherever they appear", () => {
  it("censors them one level down, as pino's *.field redact paths did", () => {
    const credentials = { accessKeyId: "AKIA", secretAccessKey: "s3cr3t", sessionToken: "tok" };
    const line = logged((l) =>
      l.info(
        {
          creds: credentials,
          req: { url: "https://x/?X-Amz-Signature=abc", headers: { authorization: "Bearer k", accept: "*/*" } },
          config: { credentials, authorization: "Bearer k" },
        },
        "m",
      ),
    );
    assert.deepEqual(line.creds, { accessKeyId: "AKIA", secretAccessKey: "[REDACTED]", sessionToken: "[REDACTED]" });
    assert.deepEqual(line.req, { url: "[REDACTED]", headers: { authorization: "[REDACTED]", accept: "*/*" } });
    assert.deepEqual(line.config, { credentials: "[REDACTED]", authorization: "[REDACTED]" });
    // The caller's objects are left as they were.
    assert.equal(credentials.secretAccessKey, "s3cr3t");
  });

  it("keeps an error's message and stack while censoring its fields", () => {
    const err = Object.assign(new TypeError("boom"), { url: "https://x/?X-Amz-Credential=c" });
    const line = logged((l) => l.error({ err }, "failed"));
    const e = line.err as Record<string, unknown>;
    assert.equal(e.type, "TypeError");
    assert.equal(e.message, "boom");
    assert.match(String(e.stack), /TypeError: boom/);
    assert.equal(e.url, "[REDACTED]");
    assert.equal(err.url, "https://x/?X-Amz-Credential=c");
  });

  it("passes a per-RPC line of plain values through unchanged", () => {
    const fields = { rpc: "GetObject", code: "ok", ms: 1.5, bucket: "dev", url: "top-level is not a secret path" };
    const line = logged((l) => l.info(fields, "rpc"));
    assert.deepEqual(
      { ...line, time: 0, pid: 0, hostname: "" },
      {
        level: 30,
        time: 0,
        pid: 0,
        hostname: "",
        service: "presignd",
        ...fields,
        msg: "rpc",
      },
    );
  });
});
