import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { ROOT } from "../support/run.js";
import { startTestServer, type TestServer } from "../support/test-server.js";

// The probe paths deploy/ names answer 200 on a real server: a renamed probe
// would otherwise restart every pod (liveness) or keep all out of rotation.
const deployment = parseAllDocuments(readFileSync(join(ROOT, "deploy", "k8s", "deployment.yaml"), "utf8"))[0]?.toJS();
const container = deployment.spec.template.spec.containers[0];
const dockerfile = readFileSync(join(ROOT, "deploy", "Dockerfile"), "utf8");

const probes: [string, string][] = [
  ["readinessProbe", container.readinessProbe.httpGet.path],
  ["livenessProbe", container.livenessProbe.httpGet.path],
  ["startupProbe", container.startupProbe.httpGet.path],
  ["Dockerfile HEALTHCHECK", dockerfile.match(/HEALTHCHECK[\s\S]*?'(\/[a-z]+)'/)?.[1] ?? "(none)"],
];

describe("the probes of deploy/ on a real server", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  for (const [probe, path] of probes) {
    it(`${probe} GET ${path} answers 200 on HTTP/1.1`, async () => {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.status, 200, await res.text());
    });
  }
});
