import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rawRequest } from "../support/raw-http.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

interface ClassicAnswer {
  URL: string;
  Method: string;
  Header: Record<string, string[]>;
}

// The aws-sdk-go presignURL example's REST API: its client asks
// GET /presign/<key>?method=GET|PUT[&contentLength=N] and sends the answer's
// URL with its Method and every Header value.
describe("GET /presign/<key> answers in the classic example's shape", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  // rawRequest sends the path as is (fetch would resolve "a/../b" first).
  const ask = async (path: string, method = "GET") => {
    const res = await rawRequest(`${server.url}${path}`, { method });
    return {
      status: res.status,
      body: JSON.parse(res.body.toString()) as ClassicAnswer & { code?: string; message?: string },
    };
  };
  const send = (answer: ClassicAnswer, body?: string) => {
    const headers = new Headers();
    for (const [name, values] of Object.entries(answer.Header)) for (const v of values) headers.append(name, v);
    return fetch(answer.URL, { method: answer.Method, headers, ...(body === undefined ? {} : { body }) });
  };

  it("PUT with contentLength, then GET, for a key with slashes", async () => {
    const put = await ask("/presign/my-object/key%20one?method=PUT&contentLength=5");
    assert.equal(put.status, 200);
    assert.deepEqual(Object.keys(put.body).sort(), ["Header", "Method", "URL"]);
    assert.equal(put.body.Method, "PUT");
    assert.deepEqual(put.body.Header, { "Content-Length": ["5"] });
    assert.match(put.body.URL, /\/dev\/my-object\/key%20one\?/);
    assert.equal((await send(put.body, "hello")).status, 200);

    const get = await ask("/presign/my-object/key%20one?method=GET");
    assert.equal(get.status, 200);
    assert.deepEqual(get.body.Header, {});
    const res = await send(get.body);
    assert.equal(await res.text(), "hello");
  });

  it("PUT with contentLength=0 stores an empty object (what the Go example sends for an empty file)", async () => {
    const put = await ask("/presign/empty/object?method=PUT&contentLength=0");
    assert.equal(put.status, 200, put.body.message);
    assert.deepEqual(put.body.Header, { "Content-Length": ["0"] });
    assert.equal((await send(put.body, "")).status, 200);
    const res = await send((await ask("/presign/empty/object?method=GET")).body);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-length"), "0");
    assert.equal(await res.text(), "");
  });

  it("refuses bad requests with a clear JSON error", async () => {
    const cases: [string, number, string, RegExp][] = [
      ["/presign/k", 400, "invalid_argument", /^method: must be GET or PUT/],
      ["/presign/k?method=DELETE", 400, "invalid_argument", /^method: must be GET or PUT/],
      ["/presign/k?method=PUT", 400, "invalid_argument", /^contentLength: is required with method=PUT/],
      [
        "/presign/k?method=PUT&contentLength=lots",
        400,
        "invalid_argument",
        /^contentLength: "lots" is not a whole number/,
      ],
      ["/presign/k?method=PUT&contentLength=-5", 400, "invalid_argument", /^contentLength: "-5" is not a whole number/],
      [
        "/presign/k?method=PUT&contentLength=99999999999",
        400,
        "invalid_argument",
        /^content_length: must be greater than or equal to 0 and less than or equal to 5368709120/,
      ],
      ["/presign/?method=GET", 400, "invalid_argument", /^key: must not be empty/],
      ["/presign/a/../b?method=GET", 400, "invalid_argument", /^key: must not contain a "\.\." path segment/],
      ["/presign/a%2F..%2Fb?method=GET", 400, "invalid_argument", /^key: must not contain a "\.\." path segment/],
      ["/presign/bad%E0%A4%A?method=GET", 400, "invalid_argument", /^key: invalid percent-encoding/],
    ];
    for (const [path, status, code, message] of cases) {
      const res = await ask(path);
      assert.equal(res.status, status, path);
      assert.equal(res.body.code, code, path);
      assert.match(res.body.message ?? "", message, path);
    }
    const post = await ask("/presign/k?method=GET", "POST");
    assert.equal(post.status, 405);
  });

  it("logs REST calls like RPCs", () => {
    const rpcs = server.logs.filter((line) => line.msg === "rpc");
    assert.ok(rpcs.some((line) => line.rpc === "PutObject" && line.code === "ok"));
    assert.ok(rpcs.some((line) => line.rpc === "GetObject" && line.code === "invalid_argument"));
  });
});
