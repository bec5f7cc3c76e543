import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { serveCommand } from "../../src/cli/serve-command.js";
import { parseDelayMs } from "../../src/core/duration.js";
import { parsePolicy } from "../../src/server/access/policy-file.js";
import { parseServeOptions, type RawServeOptions, type ServerConfig } from "../../src/server/config/config.js";
import { DEFAULT_DRAIN_DELAY, DEFAULT_SHUTDOWN_TIMEOUT } from "../../src/server/config/settings.js";
import { ROOT } from "../support/run.js";

// deploy/: the Dockerfile and the Kubernetes manifests, held to the server's
// real flags and defaults so that they cannot drift from it.
const K8S = join(ROOT, "deploy", "k8s");

// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML
type Manifest = Record<string, any>;

const manifests: Manifest[] = readdirSync(K8S)
  .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(K8S, f), "utf8")).map((doc) => {
      assert.deepEqual(doc.errors, [], f);
      return doc.toJS() as Manifest;
    }),
  );
const find = (kind: string, name = "presignd"): Manifest => {
  const found = manifests.find((m) => m.kind === kind && m.metadata?.name === name);
  assert.ok(found, `no ${kind} ${name} in deploy/k8s`);
  return found;
};
const deployment = find("Deployment");
const pod = deployment.spec.template.spec;
const container = pod.containers[0];
const containerPort = (name: string): number =>
  container.ports.find((p: { name: string }) => p.name === name)?.containerPort;

/** The environment the container gets: the ConfigMap and the presignd-env Secret, as envFrom says. */
function containerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const from of container.envFrom) {
    const source = from.configMapRef ? find("ConfigMap", from.configMapRef.name) : find("Secret", from.secretRef.name);
    Object.assign(env, source.data ?? source.stringData);
  }
  return env;
}

/** `presignd serve <args>` parsed as the CLI parses it, with `env` as its environment, then validated. */
function serveConfig(args: readonly string[], env: Record<string, string>): ServerConfig {
  const saved = { ...process.env };
  try {
    for (const key of Object.keys(process.env)) if (key.startsWith("PRESIGND_")) delete process.env[key];
    Object.assign(process.env, env);
    const command = serveCommand().exitOverride();
    let raw: RawServeOptions | undefined;
    command.action((options: RawServeOptions) => {
      raw = options;
    });
    command.parse([...args], { from: "user" });
    assert.ok(raw);
    return parseServeOptions(raw);
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

describe("deploy/k8s manifests", () => {
  it("parse, one document each of the kinds the deployment needs", () => {
    assert.deepEqual(manifests.map((m) => m.kind).sort(), [
      "ConfigMap",
      "Deployment",
      "HorizontalPodAutoscaler",
      "PodDisruptionBudget",
      "Secret",
      "Secret",
      "Service",
    ]);
    const kustomized = parseAllDocuments(readFileSync(join(K8S, "kustomization.yaml"), "utf8"))[0]?.toJS();
    assert.deepEqual(
      [...kustomized.resources].sort(),
      readdirSync(K8S)
        .filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")
        .sort(),
    );
  });

  it("every PRESIGND_* variable they set is a serve setting (commander ignores unknown ones)", () => {
    const known = new Set(serveCommand().options.map((o) => o.envVar));
    const set = Object.keys(containerEnv()).filter((k) => k.startsWith("PRESIGND_"));
    assert.ok(set.length >= 10);
    assert.deepEqual(
      set.filter((k) => !known.has(k)),
      [],
    );
  });

  it("the container's settings validate, and its ports are the ones presignd listens on", () => {
    assert.deepEqual(container.args, ["serve"]);
    const config = serveConfig(container.args.slice(1), containerEnv());
    assert.equal(config.host, "0.0.0.0");
    assert.equal(config.port, containerPort("http"));
    assert.deepEqual(config.metrics, { host: "0.0.0.0", port: containerPort("metrics") });
    assert.equal(config.handleStore?.engine, "postgres", "replicas share a PostgreSQL handle store");
    assert.equal(config.dev, undefined);
    assert.equal(config.policyFile, join(container.volumeMounts[0].mountPath, "policy.yaml"));
    const annotations = deployment.spec.template.metadata.annotations;
    assert.equal(Number(annotations["prometheus.io/port"]), containerPort("metrics"));
  });

  it("probes: readiness on /readyz, liveness and start-up on /healthz, on the serving port", () => {
    assert.deepEqual(container.readinessProbe.httpGet, { path: "/readyz", port: "http" });
    assert.deepEqual(container.livenessProbe.httpGet, { path: "/healthz", port: "http" });
    assert.deepEqual(container.startupProbe.httpGet, { path: "/healthz", port: "http" });
  });

  it("preStop sleeps for the drain delay, which is the server's default; the grace period covers the whole drain", () => {
    const config = serveConfig([], containerEnv());
    const [sleep, seconds, ...rest] = container.lifecycle.preStop.exec.command;
    assert.equal(sleep, "sleep");
    assert.deepEqual(rest, []);
    const preStopMs = Number(seconds) * 1000;
    assert.equal(preStopMs, config.shutdown.drainDelayMs);
    assert.equal(config.shutdown.drainDelayMs, parseDelayMs(DEFAULT_DRAIN_DELAY));
    assert.equal(config.shutdown.timeoutMs, parseDelayMs(DEFAULT_SHUTDOWN_TIMEOUT));
    const needed = preStopMs + config.shutdown.drainDelayMs + config.shutdown.timeoutMs;
    assert.ok(pod.terminationGracePeriodSeconds * 1000 > needed, `grace period under ${needed} ms`);
  });

  it("runs as non-root without privileges, with resources set", () => {
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.notEqual(pod.securityContext.runAsUser, 0);
    assert.equal(container.securityContext.allowPrivilegeEscalation, false);
    assert.equal(container.securityContext.readOnlyRootFilesystem, true);
    assert.ok(container.resources.requests.cpu && container.resources.requests.memory);
    assert.ok(container.resources.limits.memory);
  });

  it("Service: HTTP/1.1 and h2c ports to the serving port; HPA on CPU; PDB; all select the Deployment's pods", () => {
    const service = find("Service");
    const labels = deployment.spec.template.metadata.labels;
    assert.deepEqual(service.spec.selector, labels);
    assert.deepEqual(
      service.spec.ports.map((p: Manifest) => [p.targetPort, p.appProtocol]),
      [
        ["http", "http"],
        ["http", "kubernetes.io/h2c"],
      ],
    );
    const hpa = find("HorizontalPodAutoscaler");
    assert.deepEqual(hpa.spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "presignd" });
    assert.equal(hpa.spec.metrics[0].resource.name, "cpu");
    assert.ok(hpa.spec.minReplicas >= 2);
    const pdb = find("PodDisruptionBudget");
    assert.deepEqual(pdb.spec.selector.matchLabels, labels);
    assert.ok(pdb.spec.maxUnavailable < hpa.spec.minReplicas);
  });

  it("the example policy is a valid policy once its placeholders are filled, and refused until then", () => {
    const text: string = find("Secret", "presignd-policy").stringData["policy.yaml"];
    assert.throws(() => parsePolicy(text, "policy.yaml"), /api_key_sha256|secret_base64/);
    const filled = text
      .replace("<sha256 of the API key, hex>", "a".repeat(64))
      .replace("<openssl rand -base64 32>", Buffer.alloc(32, 7).toString("base64"));
    const policy = parsePolicy(filled, "policy.yaml");
    assert.equal(policy.handleKeys?.length, 1);
    assert.deepEqual(policy.warnings, []);
  });
});

describe("deploy/Dockerfile", () => {
  const dockerfile = readFileSync(join(ROOT, "deploy", "Dockerfile"), "utf8");
  const final = dockerfile.slice(dockerfile.lastIndexOf("\nFROM "));

  it("installs production dependencies only, runs as a non-root user, starts `presignd serve`", () => {
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(final, /^USER node$/m);
    assert.match(final, /^ENTRYPOINT \["node", "bin\/presignd"\]$/m);
    assert.match(final, /^CMD \["serve"\]$/m);
    assert.match(dockerfile, /^ARG NODE_IMAGE=node:\d+-bookworm-slim$/m);
  });

  it("listens, exposes and health-checks (/healthz) the same port", () => {
    const addr = final.match(/PRESIGND_ADDR=(\S+)/)?.[1];
    assert.ok(addr);
    const config = serveConfig([], { PRESIGND_ADDR: addr, PRESIGND_BUCKET: "my-bucket", PRESIGND_POLICY: "/p.yaml" });
    assert.equal(config.host, "0.0.0.0");
    assert.match(final, new RegExp(`^EXPOSE ${config.port}$`, "m"));
    assert.equal(config.port, containerPort("http"));
    assert.match(final, /^HEALTHCHECK .*\n\s+CMD \[.*process\.env\.PRESIGND_ADDR.*'\/healthz'/m);
  });
});
