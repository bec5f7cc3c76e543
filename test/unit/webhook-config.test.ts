import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConfigError, parseServeOptions, type RawServeOptions } from "../../src/server/config/config.js";
import { envValues, resolveSettings } from "../../src/server/config/layers.js";
import { printSettings, REDACTED } from "../../src/server/config/print-settings.js";
import { retryDelayMs, WEBHOOK_TIMING } from "../../src/server/uploads/webhook-deliverer.js";
import { SERVE_DEFAULTS } from "../support/serve-options.js";
import { WEBHOOK_SECRET } from "../support/webhook-receiver.js";

const production: RawServeOptions = {
  ...SERVE_DEFAULTS,
  bucket: ["media"],
  policy: "policy.yaml",
  handleStore: "postgres://presignd@db/presignd",
};

/** The problems of a configuration, one line each. */
function problems(raw: Partial<RawServeOptions>): readonly string[] {
  try {
    parseServeOptions({ ...production, ...raw });
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error.problems;
  }
  assert.fail("the configuration was accepted");
}

describe("webhook settings", () => {
  it("accepts an https URL with a Standard Webhooks secret, and defaults the rest", () => {
    const config = parseServeOptions({
      ...production,
      webhookUrl: "https://backend.example/hooks/presignd?tenant=7",
      webhookSecret: WEBHOOK_SECRET,
    });
    assert.deepEqual(config.webhook, {
      url: "https://backend.example/hooks/presignd?tenant=7",
      secret: WEBHOOK_SECRET,
      prefix: "",
      maxAttempts: 10,
    });
    // Plain base64 too: what `new Webhook(secret)` takes.
    const bare = WEBHOOK_SECRET.slice("whsec_".length);
    assert.equal(
      parseServeOptions({ ...production, webhookUrl: "https://b.example/", webhookSecret: bare }).webhook?.secret,
      bare,
    );
    assert.equal(parseServeOptions(production).webhook, undefined, "off unless asked for");
  });

  it("refuses a URL without a secret, naming the setting and what to give", () => {
    assert.deepEqual(problems({ webhookUrl: "https://backend.example/hooks" }), [
      "--webhook-secret (PRESIGND_WEBHOOK_SECRET): is required with a webhook URL, to sign each delivery: whsec_ and the base64 of 32 random bytes (`echo whsec_$(openssl rand -base64 32)`)",
    ]);
    assert.deepEqual(problems({ webhookSecret: WEBHOOK_SECRET }), [
      "--webhook-secret (PRESIGND_WEBHOOK_SECRET): is set, but --webhook-url (PRESIGND_WEBHOOK_URL) is not: set both, or neither",
    ]);
  });

  it("refuses bad URLs: not a URL, not http(s), user info, cleartext to another host outside --dev", () => {
    const url = (webhookUrl: string, more: Partial<RawServeOptions> = {}) =>
      problems({ webhookUrl, webhookSecret: WEBHOOK_SECRET, ...more });
    assert.deepEqual(url("backend/hooks"), [
      "--webhook-url (PRESIGND_WEBHOOK_URL): not a URL like https://backend.example/hooks/presignd",
    ]);
    assert.deepEqual(url("ftp://backend.example/hooks"), [
      "--webhook-url (PRESIGND_WEBHOOK_URL): must be an https (or http) URL",
    ]);
    assert.deepEqual(url("https://user:pw@backend.example/hooks"), [
      "--webhook-url (PRESIGND_WEBHOOK_URL): must not carry user info: the receiver authenticates presignd by the signature",
    ]);
    assert.deepEqual(url("http://backend.example:8000/hooks"), [
      "--webhook-url (PRESIGND_WEBHOOK_URL): http sends the uploads' keys and metadata in clear: use https, or http to a loopback host (got backend.example:8000)",
    ]);
    for (const loopback of ["http://127.0.0.1:9000/h", "http://localhost/h", "http://[::1]:9000/h"]) {
      const config = parseServeOptions({ ...production, webhookUrl: loopback, webhookSecret: WEBHOOK_SECRET });
      assert.equal(config.webhook?.url, loopback);
    }
    // --dev allows cleartext anywhere (its handle store: memory).
    const { handleStore: _, ...withoutStore } = production;
    const dev = parseServeOptions({
      ...withoutStore,
      bucket: [],
      dev: true,
      webhookUrl: "http://backend.example:8000/hooks",
      webhookSecret: WEBHOOK_SECRET,
    });
    assert.equal(dev.webhook?.url, "http://backend.example:8000/hooks");
  });

  it("refuses webhooks without a handle store, where the events are", () => {
    assert.deepEqual(problems({ handleStore: "", webhookUrl: "https://b.example/h", webhookSecret: WEBHOOK_SECRET }), [
      "--webhook-url (PRESIGND_WEBHOOK_URL): webhooks deliver the upload events kept in the handle store: set --handle-store (PRESIGND_HANDLE_STORE) too (SQLite, or PostgreSQL shared by instances)",
    ]);
  });

  it("refuses a secret that is not one, without ever repeating it", () => {
    for (const [secret, why] of [
      [
        "not base64 at all!",
        /: is not a Standard Webhooks secret: expected whsec_ and base64 \(16 bytes at least, 32 recommended\)/,
      ],
      [`whsec_${Buffer.from("short").toString("base64")}`, /: is 5 bytes long: expected whsec_ and base64/],
    ] as const) {
      const found = problems({ webhookUrl: "https://b.example/h", webhookSecret: secret });
      assert.equal(found.length, 1);
      assert.match(found[0] as string, /^--webhook-secret \(PRESIGND_WEBHOOK_SECRET\)/);
      assert.match(found[0] as string, why);
      assert.ok(!(found[0] as string).includes(secret), "the message does not echo the secret");
    }
  });

  it("refuses attempts outside 1–100", () => {
    for (const n of ["0", "101", "three", "2.5"]) {
      assert.deepEqual(
        problems({ webhookUrl: "https://b.example/h", webhookSecret: WEBHOOK_SECRET, webhookMaxAttempts: n }),
        [`--webhook-max-attempts (PRESIGND_WEBHOOK_MAX_ATTEMPTS): "${n}" is not a whole number from 1 to 100`],
      );
    }
  });

  it("config print redacts the secret, wherever it came from", () => {
    const text = printSettings(
      resolveSettings({
        env: envValues({ PRESIGND_WEBHOOK_URL: "https://b.example/h", PRESIGND_WEBHOOK_SECRET: WEBHOOK_SECRET }),
      }),
    );
    assert.match(text, new RegExp(`^webhook-secret: ${REDACTED} # env PRESIGND_WEBHOOK_SECRET$`, "m"));
    assert.match(text, /^webhook-url: https:\/\/b\.example\/h # env PRESIGND_WEBHOOK_URL$/m);
    assert.ok(!text.includes(WEBHOOK_SECRET.slice("whsec_".length)));
  });
});

describe("webhook retry delays", () => {
  it("double from the base delay up to the cap, each shortened by at most half", () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const full = Math.min(300_000, 1000 * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const delay = retryDelayMs(attempt, WEBHOOK_TIMING);
        assert.ok(delay >= full / 2 && delay <= full, `attempt ${attempt}: ${delay} ms`);
      }
    }
    assert.equal(WEBHOOK_TIMING.timeoutMs, 10_000);
  });
});
