// The config file layer and the merge: flags > env (PRESIGND_*) > file > defaults,
// validated once, a file's values named by key and file:line:col.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { suggestSetting } from "../../src/cli/serve-options.js";
import { ConfigError } from "../../src/server/config/config.js";
import { parseConfigFile } from "../../src/server/config/config-file.js";
import {
  configFromLayers,
  envValues,
  type Layers,
  rawServeOptions,
  resolveSettings,
} from "../../src/server/config/layers.js";
import { printSettings, REDACTED } from "../../src/server/config/print-settings.js";
import { SERVE_SETTINGS } from "../../src/server/config/settings.js";

const file = (text: string, path = "/etc/presignd/presignd.yaml") => parseConfigFile(text, path, suggestSetting);
const drainDelay = (layers: Layers) => resolveSettings(layers).find((r) => r.setting.name === "drain-delay");
const problems = (run: () => unknown): readonly string[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return assert.fail("no ConfigError");
};

describe("config layers", () => {
  it("defaults: every setting with a default has it, source default", () => {
    const resolved = resolveSettings({});
    for (const r of resolved) {
      assert.equal(r.source, "default");
      assert.equal(r.value, r.setting.default);
    }
    assert.equal(resolved.find((r) => r.setting.name === "addr")?.value, "127.0.0.1:8080");
  });

  it("file: values under the flag names, numbers as written, lists or comma strings, paths relative to the file", () => {
    const f = file(
      "addr: 127.0.0.1:9000\nmax-connections: 500\ndrain-delay: 1.50\ncors-origin: [https://a.test, 'https://b.test,https://c.test']\nbucket: a,b\npath-style: true\npolicy: ./policy.yaml\ntls-cert: /abs/server.crt\n",
    );
    assert.deepEqual(f.problems, []);
    const raw = rawServeOptions(resolveSettings({ file: f }), f);
    assert.equal(raw.addr, "127.0.0.1:9000");
    assert.equal(raw.maxConnections, "500");
    assert.equal(raw.drainDelay, "1.50");
    assert.deepEqual(raw.corsOrigin, ["https://a.test", "https://b.test", "https://c.test"]);
    assert.deepEqual(raw.bucket, ["a", "b"]);
    assert.equal(raw.pathStyle, true);
    assert.equal(raw.policy, "/etc/presignd/policy.yaml");
    assert.equal(raw.tlsCert, "/abs/server.crt");
    assert.equal(
      resolveSettings({ file: f }).find((r) => r.setting.name === "addr")?.at,
      "/etc/presignd/presignd.yaml:1:7",
    );
  });

  it("env: PRESIGND_* variables, lists comma-separated, switches strictly true/false", () => {
    const env = envValues({
      PRESIGND_ADDR: ":9000",
      PRESIGND_BUCKET: "a, b",
      PRESIGND_DEV: "false",
      PRESIGND_PATH_STYLE: "1",
      PRESIGND_REGION: "",
    });
    assert.deepEqual(env, { addr: ":9000", bucket: ["a", "b"], dev: false, pathStyle: true });
    assert.deepEqual(
      problems(() => envValues({ PRESIGND_DEV: "maybe", PRESIGND_PATH_STYLE: "sure" })),
      [
        'PRESIGND_PATH_STYLE: "sure" is not a boolean (use true or false)',
        'PRESIGND_DEV: "maybe" is not a boolean (use true or false)',
      ],
    );
  });

  it("flags: given flags are the top layer", () => {
    const resolved = resolveSettings({ flags: { addr: ":1" }, env: { addr: ":2" } });
    assert.deepEqual(
      resolved.filter((r) => r.setting.name === "addr").map((r) => [r.value, r.source]),
      [[":1", "flag"]],
    );
  });

  it("each layer overrides the next for the same setting: flag > env > file > default", () => {
    const f = file("drain-delay: 3s\n");
    const all: Layers = { flags: { drainDelay: "1s" }, env: { drainDelay: "2s" }, file: f };
    assert.deepEqual(drainDelay(all), { setting: drainDelay({})?.setting, value: "1s", source: "flag" });
    assert.deepEqual(
      [drainDelay({ ...all, flags: {} })?.value, drainDelay({ ...all, flags: {} })?.source],
      ["2s", "env"],
    );
    const fileOnly = drainDelay({ file: f });
    assert.deepEqual(
      [fileOnly?.value, fileOnly?.source, fileOnly?.at],
      ["3s", "file", "/etc/presignd/presignd.yaml:1:14"],
    );
    assert.deepEqual([drainDelay({})?.value, drainDelay({})?.source], [undefined, "default"]);
    // …and the validated config follows: 1s, 2s, 3s, then --drain-delay's default (0s with --dev).
    const dev = { dev: true } as const;
    const ms = (layers: Layers) => configFromLayers(layers).shutdown.drainDelayMs;
    assert.equal(ms({ flags: { ...dev, drainDelay: "1s" }, env: { drainDelay: "2s" }, file: f }), 1000);
    assert.equal(ms({ flags: dev, env: { drainDelay: "2s" }, file: f }), 2000);
    assert.equal(ms({ flags: dev, file: f }), 3000);
    assert.equal(ms({ flags: dev }), 0);
    assert.equal(ms({ flags: { bucket: ["b12"], policy: "p.yaml" } }), 5000);
  });

  it("the file's values go through the same validation, named by key and file:line:col, every problem at once", () => {
    const f = file(
      "addr: nowhere\nmax-ttl: 8d\nbucket: [ok-bucket, Bad_Bucket]\ncors-origin: '*'\nmax-connections: 0\nheader-timeout: 40s\n",
      "p.yaml",
    );
    assert.deepEqual(
      problems(() => configFromLayers({ file: f })),
      [
        'p.yaml:1:7: addr: "nowhere" is not an address like 127.0.0.1:8080',
        "p.yaml:2:10: max-ttl: SigV4 presigned requests live at most 7d",
        'p.yaml:3:9: bucket: "Bad_Bucket" is not a valid S3 bucket name',
        'p.yaml:4:14: cors-origin: "*" lets every web page call presignd with its visitors\' credentials; it is allowed only with --dev (list each origin instead)',
        'p.yaml:5:18: max-connections: "0" is not a whole number from 1 to 9007199254740991',
        "p.yaml:6:17: header-timeout is longer than --request-timeout (PRESIGND_REQUEST_TIMEOUT)",
        "p.yaml: no caller authentication: pass --policy FILE (PRESIGND_POLICY) with API keys or JWT settings and rules; only --dev runs without",
      ],
    );
    // The same value from a flag is named as the flag, as before.
    assert.deepEqual(
      problems(() => configFromLayers({ flags: { dev: true, addr: "nowhere" } })),
      ['--addr (PRESIGND_ADDR): "nowhere" is not an address like 127.0.0.1:8080'],
    );
    // A flag that fixes the file's bad value wins: no problem left.
    assert.equal(
      configFromLayers({ flags: { dev: true, addr: "127.0.0.1:0" }, file: file("addr: nowhere\n") }).port,
      0,
    );
  });

  it("refuses unknown keys with file:line:col and a near miss; wrong types and syntax errors too", () => {
    const f = file(
      "adr: 127.0.0.1:1\ndrain_delay: 5s\nlogLevel: info\nfrobnicate: 1\ndev: yes please\naddr: [a]\nbucket: {x: 1}\n",
      "p.yaml",
    );
    assert.deepEqual(f.problems, [
      'p.yaml:1:1: unknown setting "adr" (did you mean "addr"?)',
      'p.yaml:2:1: unknown setting "drain_delay" (did you mean "drain-delay"?)',
      'p.yaml:3:1: unknown setting "logLevel" (did you mean "log-level"?)',
      'p.yaml:4:1: unknown setting "frobnicate"; the settings are serve\'s flag names (presignd serve --help)',
      "p.yaml:5:6: dev: expected true or false",
      "p.yaml:6:7: addr: expected host:port",
      "p.yaml:7:9: bucket: expected name or a list of them",
    ]);
    assert.match(file("addr: [unclosed\n", "p.yaml").problems[0] ?? "", /^p\.yaml:\d+:\d+: /);
    assert.match(file("addr: 1\naddr: 2\n", "p.yaml").problems[0] ?? "", /^p\.yaml:2:1: Map keys must be unique/);
    assert.deepEqual(file("- addr\n", "p.yaml").problems, [
      'p.yaml:1:1: expected a mapping of settings, e.g. "addr: 127.0.0.1:8080"',
    ]);
    assert.deepEqual(file("", "p.yaml").problems, []);
    // Shape problems and value problems together, in file order.
    assert.deepEqual(
      problems(() => configFromLayers({ flags: { dev: true }, file: file("adr: x\nmax-ttl: 8d\n", "p.yaml") })),
      [
        'p.yaml:1:1: unknown setting "adr" (did you mean "addr"?)',
        "p.yaml:2:10: max-ttl: SigV4 presigned requests live at most 7d",
      ],
    );
  });

  it("an inline policy: policy is the config file itself, read from its policy: mapping", () => {
    const f = file("dev: true\npolicy:\n  rules: []\n", "/srv/presignd.yaml");
    assert.equal(f.policyInline, true);
    const config = configFromLayers({ file: f });
    assert.equal(config.policyFile, "/srv/presignd.yaml");
    assert.equal(config.policyInline, true);
    // A --policy flag replaces it with a file of its own.
    const flagged = configFromLayers({ flags: { policy: "/other.yaml" }, file: f });
    assert.equal(flagged.policyFile, "/other.yaml");
    assert.equal(flagged.policyInline, undefined);
  });

  it("print: YAML a config file could hold, each source a comment, secrets redacted", () => {
    const f = file(
      "dev: true\nhandle-store: postgres://presignd:hunter2@db/presignd\npolicy:\n  principals:\n    - name: a\n      api_key_sha256: [abc123]\n  handles:\n    keys:\n      - kid: k1\n        secret_base64: c2VjcmV0\n",
      "p.yaml",
    );
    const layers: Layers = {
      flags: { maxTtl: "1h" },
      env: envValues({ PRESIGND_LOG_LEVEL: "debug", PRESIGND_NOTIFICATION_SECRET: "sixteen-or-more-chars" }),
      file: f,
    };
    const text = printSettings(resolveSettings(layers), f);
    assert.match(text, /^max-ttl: 1h # flag$/m);
    assert.match(text, /^log-level: debug # env PRESIGND_LOG_LEVEL$/m);
    assert.match(text, /^dev: true # file p\.yaml:1:6$/m);
    assert.match(text, /^addr: 127\.0\.0\.1:8080 # default$/m);
    assert.match(text, /^# region: unset \(discovered per bucket with HeadBucket\)$/m);
    assert.match(text, /^# file p\.yaml:4:3\npolicy:\n/m);
    for (const secret of ["hunter2", "abc123", "c2VjcmV0", "sixteen-or-more"])
      assert.ok(!text.includes(secret), secret);
    const printed = parse(text) as Record<string, unknown>;
    assert.equal(printed["handle-store"], `postgres://presignd:${REDACTED}@db/presignd`);
    assert.equal(printed["notification-secret"], REDACTED);
    assert.deepEqual(printed.policy, {
      principals: [{ name: "a", api_key_sha256: [REDACTED] }],
      handles: { keys: [{ kid: "k1", secret_base64: REDACTED }] },
    });
    // Every setting is either printed or listed as unset.
    for (const s of SERVE_SETTINGS) assert.ok(s.name in printed || text.includes(`# ${s.name}: unset`), s.name);
  });
});
