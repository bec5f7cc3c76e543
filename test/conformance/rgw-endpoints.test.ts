import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { collector } from "../support/collect.js";
import { rawRequest } from "../support/raw-http.js";
import { presigndForRgw, type RgwPresignd, rgwFromEnv } from "../support/rgw.js";
import { run } from "../support/run.js";

describe("URL styles and endpoints against RGW", () => {
  const rgw = rgwFromEnv();
  const started: RgwPresignd[] = [];
  after(async () => {
    for (const p of started) await p.server.close();
  });
  const serve = async (options: Parameters<typeof presigndForRgw>[1]) => {
    const p = await presigndForRgw(rgw, options);
    started.push(p);
    return p;
  };

  it("virtual-hosted style: bucket in the host name (RGW's rgw dns name is localhost)", async () => {
    const p = await serve({ endpoint: `http://localhost:${rgw.port}`, pathStyle: false });
    const put = await p.client.service.putObject({
      key: "vhost/a b.txt",
      contentLength: 5n,
      contentType: "text/plain",
    });
    const url = new URL(put.url);
    assert.equal(url.host, `${rgw.bucket}.localhost:${rgw.port}`);
    assert.equal(url.pathname, "/vhost/a%20b.txt");
    // <bucket>.localhost need not resolve here: connect to 127.0.0.1, keep the Host (curl --resolve).
    const up = await rawRequest(put.url, {
      method: "PUT",
      body: "vhost",
      headers: put.headers,
      connectTo: `127.0.0.1:${rgw.port}`,
    });
    assert.equal(up.status, 200);
    const get = await p.client.service.getObject({ key: "vhost/a b.txt" });
    const curl = await run("curl", ["-sS", "--fail", "--resolve", `${url.hostname}:${rgw.port}:127.0.0.1`, get.url]);
    assert.equal(curl.code, 0, curl.stderr);
    assert.equal(curl.stdout.toString(), "vhost");
  });

  it("path style: bucket in the path", async () => {
    const p = await serve({ pathStyle: true });
    const get = await p.client.service.getObject({ key: "vhost/a b.txt" });
    assert.equal(new URL(get.url).pathname, `/${rgw.bucket}/vhost/a%20b.txt`);
    assert.equal((await rawRequest(get.url)).body.toString(), "vhost");
  });

  it("--public-endpoint: URLs name the public host and work through it, not through the internal one", async () => {
    const p = await serve({ endpoint: `http://127.0.0.1:${rgw.port}`, publicEndpoint: `http://localhost:${rgw.port}` });
    await p.client.upload("public/x.txt", Buffer.from("via public name"));
    const get = await p.client.service.getObject({ key: "public/x.txt" });
    assert.equal(new URL(get.url).host, `localhost:${rgw.port}`);
    const sink = collector();
    await p.client.download("public/x.txt", sink.writable);
    assert.equal(sink.bytes().toString(), "via public name");
    const internal = await rawRequest(get.url, { headers: { host: `127.0.0.1:${rgw.port}` } });
    assert.deepEqual([internal.status, internal.code], [403, "SignatureDoesNotMatch"]);
  });

  it("POST form URLs follow the same style", async () => {
    const vhost = await serve({ endpoint: `http://localhost:${rgw.port}`, pathStyle: false });
    const policy = await vhost.client.service.postPolicy({ key: "k", maxContentLength: 1n });
    assert.equal(policy.url, `http://${rgw.bucket}.localhost:${rgw.port}/`);
    const path = await serve({ pathStyle: true });
    assert.equal(
      (await path.client.service.postPolicy({ key: "k", maxContentLength: 1n })).url,
      `${rgw.endpoint}/${rgw.bucket}`,
    );
  });
});
