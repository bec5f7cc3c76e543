import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./run.js";

export interface CurlResponse {
  readonly status: number;
  /** Response headers (lower-case names; repeated ones joined with ", "). */
  readonly headers: Record<string, string>;
  /** HTTP/2 trailers, e.g. grpc-status. */
  readonly trailers: Record<string, string>;
  readonly body: Buffer;
}

export interface CurlOptions {
  readonly method?: string;
  /** Sent exactly as listed, a name given twice as two header fields (Node's and undici's clients merge or refuse those). */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: Buffer | string;
  /** HTTP/2: by ALPN over TLS, with prior knowledge (h2c) over cleartext. Default HTTP/1.1. */
  readonly http2?: boolean;
  /** Files: the CA to trust, and a client certificate to present. */
  readonly tls?: { readonly ca: string; readonly cert?: string; readonly key?: string };
}

/** One request with the real curl binary; the path is sent as given (no dot-segment removal). */
export async function curl(url: string, options: CurlOptions = {}): Promise<CurlResponse> {
  const dir = await mkdtemp(join(tmpdir(), "presignd-curl-"));
  const headerFile = join(dir, "headers");
  const args = ["-sS", "--path-as-is", "-D", headerFile, "-X", options.method ?? (options.body ? "POST" : "GET")];
  if (options.http2) args.push(url.startsWith("https:") ? "--http2" : "--http2-prior-knowledge");
  else args.push("--http1.1");
  for (const [name, value] of options.headers ?? []) args.push("-H", `${name}: ${value}`);
  if (options.body !== undefined) args.push("--data-binary", "@-");
  if (options.tls) {
    args.push("--cacert", options.tls.ca);
    if (options.tls.cert) args.push("--cert", options.tls.cert, "--key", options.tls.key ?? "");
  }
  try {
    const res = await run("curl", [...args, url], options.body === undefined ? {} : { input: options.body });
    if (res.code !== 0) throw new Error(`curl exited with ${res.code}: ${res.stderr}`);
    // The header file holds the status line and headers, then (HTTP/2) a block of trailers.
    const [head = "", ...rest] = (await readFile(headerFile, "utf8")).split("\r\n\r\n");
    const [statusLine = "", ...headerLines] = head.split("\r\n");
    return {
      status: Number(statusLine.split(" ")[1]),
      headers: fields(headerLines),
      trailers: fields(rest.join("\r\n").split("\r\n")),
      body: res.stdout,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function fields(lines: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    out[name] = out[name] === undefined ? value : `${out[name]}, ${value}`;
  }
  return out;
}
