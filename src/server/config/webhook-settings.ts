import { createRequire } from "node:module";
import type { RawServeOptions } from "./config.js";
import { DEFAULT_WEBHOOK_MAX_ATTEMPTS } from "./settings.js";

/** Where landed uploads are POSTed, and how (README "Webhooks"). */
export interface WebhookSettings {
  /** An http(s) URL; http only to a loopback host, or with --dev. */
  readonly url: string;
  /** The Standard Webhooks secret: `whsec_<base64>` or base64 (never logged; `config print` redacts it). */
  readonly secret: string;
  /** Only keys starting with this are delivered ("": every key of every bucket). */
  readonly prefix: string;
  /** Attempts per event before it is given up. */
  readonly maxAttempts: number;
}

const MAX_ATTEMPTS_LIMIT = 100;

/** The shortest secret accepted, in bytes (128 bits); 32 recommended. */
const MIN_SECRET_BYTES = 16;

export interface WebhookInput {
  readonly url?: string | undefined;
  readonly secret?: string | undefined;
  readonly prefix?: string | undefined;
  readonly maxAttempts?: string | undefined;
  /** Whether a handle store is configured (events live there). */
  readonly handleStore: boolean;
  readonly dev: boolean;
}

/** A problem, against the setting it names. */
export interface WebhookProblem {
  readonly key: keyof RawServeOptions;
  readonly message: string;
}

/** Validates the webhook settings; `label` names a setting as its source calls it. Never echoes the secret. */
export function webhookSettings(
  input: WebhookInput,
  label: (key: keyof RawServeOptions) => string,
): { webhook?: WebhookSettings; problems: WebhookProblem[] } {
  const problems: WebhookProblem[] = [];
  const problem = (key: keyof RawServeOptions, message: string) =>
    problems.push({ key, message: `${label(key)}: ${message}` });
  const url = input.url?.trim() ?? "";
  const secret = input.secret?.trim() ?? "";
  if (url === "") {
    if (secret !== "") problem("webhookSecret", `is set, but ${label("webhookUrl")} is not: set both, or neither`);
    return { problems };
  }
  const checkedUrl = webhookUrl(url, input.dev);
  if (checkedUrl.problem) problem("webhookUrl", checkedUrl.problem);
  if (!input.handleStore) {
    problem(
      "webhookUrl",
      `webhooks deliver the upload events kept in the handle store: set ${label("handleStore")} too (SQLite, or PostgreSQL shared by instances)`,
    );
  }
  if (secret === "") {
    problem(
      "webhookSecret",
      "is required with a webhook URL, to sign each delivery: whsec_ and the base64 of 32 random bytes (`echo whsec_$(openssl rand -base64 32)`)",
    );
  } else {
    const why = secretProblem(secret);
    if (why) problem("webhookSecret", why);
  }
  const attempts = (input.maxAttempts ?? DEFAULT_WEBHOOK_MAX_ATTEMPTS).trim();
  const maxAttempts = /^\d+$/.test(attempts) ? Number(attempts) : Number.NaN;
  if (!(maxAttempts >= 1 && maxAttempts <= MAX_ATTEMPTS_LIMIT)) {
    problem("webhookMaxAttempts", `"${input.maxAttempts}" is not a whole number from 1 to ${MAX_ATTEMPTS_LIMIT}`);
  }
  if (problems.length > 0) return { problems };
  return { webhook: { url, secret, prefix: input.prefix ?? "", maxAttempts }, problems };
}

function webhookUrl(value: string, dev: boolean): { problem?: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { problem: "not a URL like https://backend.example/hooks/presignd" };
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { problem: "must be an https (or http) URL" };
  if (url.username || url.password) {
    return { problem: "must not carry user info: the receiver authenticates presignd by the signature" };
  }
  const host = url.hostname.replace(/^\[|\]$/g, "");
  if (url.protocol === "http:" && !dev && !isLoopbackHost(host)) {
    return {
      problem: `http sends the uploads' keys and metadata in clear: use https, or http to a loopback host (got ${url.host})`,
    };
  }
  return {};
}

/** Why `new Webhook(secret)` (as every Standard Webhooks library reads it) refuses a secret, or it is too short. */
function secretProblem(secret: string): string | undefined {
  const expected = `expected whsec_ and base64 (${MIN_SECRET_BYTES} bytes at least, 32 recommended), as Standard Webhooks libraries read it`;
  try {
    // Loaded only when a secret is set (the CLI's other commands need not pay for it); CommonJS, so require works.
    const { Webhook } = createRequire(import.meta.url)("standardwebhooks") as typeof import("standardwebhooks");
    new Webhook(secret);
  } catch {
    return `is not a Standard Webhooks secret: ${expected}`;
  }
  const bytes = Buffer.from(secret.replace(/^whsec_/, ""), "base64").length;
  return bytes < MIN_SECRET_BYTES ? `is ${bytes} bytes long: ${expected}` : undefined;
}

/** localhost, 127.0.0.0/8 or ::1. */
export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}
