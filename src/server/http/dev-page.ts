import { readFile } from "node:fs/promises";
import { DEV_PAGE_FILES, DEV_PAGE_PREFIX, PAGE_HTML } from "../dev-page/assets.js";
import type { NodeHandler, NodeRequest } from "../transport/node-http.js";

/** Where `npm run build` writes the page and the client bundle (scripts/build-browser.ts). */
const BUILT = new URL("../../../dist/browser/", import.meta.url);

// The page loads only its own files; S3 and presignd (any origin: ?server=) are reached by fetch/XHR.
const HEADERS = {
  "content-security-policy":
    "default-src 'self'; connect-src 'self' http: https:; img-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
  "x-content-type-options": "nosniff",
  "cache-control": "no-store",
};

/** The built file a GET path names: "/" is the page, the rest under /dev-page/. */
function fileOf(req: NodeRequest): string | undefined {
  if (req.method !== "GET" && req.method !== "HEAD") return undefined;
  const path = (req.url ?? "").split("?", 1)[0] ?? "";
  if (path === "/") return PAGE_HTML;
  if (!path.startsWith(DEV_PAGE_PREFIX)) return undefined;
  const name = path.slice(DEV_PAGE_PREFIX.length);
  return Object.hasOwn(DEV_PAGE_FILES, name) ? name : undefined;
}

/** Whether the --dev page answers this request. */
export function isDevPageRequest(req: NodeRequest): boolean {
  return fileOf(req) !== undefined;
}

/**
 * The upload/download page of `presignd serve --dev` (`npm start`) at "/",
 * and its assets: a fixed list of files, read on each request so that a
 * rebuild shows at once. Production serves none of it.
 */
export const devPage: NodeHandler = (req, res) => {
  const name = fileOf(req) ?? PAGE_HTML;
  readFile(new URL(name, BUILT)).then(
    (body) => {
      res.writeHead(200, {
        ...HEADERS,
        "content-type": DEV_PAGE_FILES[name] ?? "application/octet-stream",
        "content-length": body.byteLength,
      });
      if (req.method === "HEAD") res.end();
      else res.end(body);
    },
    () => {
      const text = `the development page is not built (dist/browser/${name} is missing): run \`npm run build\`\n`;
      res.writeHead(503, { "content-type": "text/plain; charset=utf-8", "content-length": Buffer.byteLength(text) });
      res.end(text);
    },
  );
};
