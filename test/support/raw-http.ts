import http from "node:http";

export interface RawResponse {
  readonly status: number;
  /** S3 error code from the XML body, "" on success. */
  readonly code: string;
  readonly body: Buffer;
  readonly headers: http.IncomingHttpHeaders;
}

/**
 * One HTTP/1.1 request with exactly these headers and body, nothing added
 * but what HTTP framing needs (Content-Length when a body is given and none
 * is set). `connectTo` sends it to another address than the URL's host
 * (like curl --resolve), keeping the URL's Host header.
 */
export function rawRequest(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string; connectTo?: string } = {},
): Promise<RawResponse> {
  // Not new URL(url): that would resolve dot segments; the path goes out as given.
  const match = /^http:\/\/([^/?#]+)(.*)$/.exec(url);
  if (!match) throw new Error(`rawRequest needs an http:// URL, got ${url}`);
  const [, authority = "", target = ""] = match;
  const u = new URL(`http://${authority}`);
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  const headers: Record<string, string> = { host: u.host, ...options.headers };
  if (body && !Object.keys(headers).some((h) => h.toLowerCase() === "content-length")) {
    headers["content-length"] = String(body.length);
  }
  const [hostname, port] = (options.connectTo ?? `${u.hostname}:${u.port || 80}`).split(":");
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        hostname,
        port: Number(port),
        method: options.method ?? "GET",
        path: target.startsWith("/") ? target : `/${target}`,
        headers,
        setHost: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            code: /<Code>([^<]+)<\/Code>/.exec(text.toString())?.[1] ?? "",
            body: text,
            headers: res.headers,
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}
