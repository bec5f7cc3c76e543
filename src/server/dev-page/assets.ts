// The dev page's files: what scripts/build-browser.ts writes to dist/browser/
// and what http/dev-page.ts serves (`presignd serve --dev`), named once.

/** The URL prefix of the page's assets (the page itself is at "/"). */
export const DEV_PAGE_PREFIX = "/dev-page/";

/** The client package's universal entry, bundled and minified for browsers (ESM). */
export const CLIENT_BUNDLE = "presignd-client.js";
/** The page's script; it imports the client from `./presignd-client.js`. */
export const PAGE_SCRIPT = "dev-page.js";
/** Copied as they are from src/server/dev-page/. */
export const PAGE_HTML = "index.html";
export const PAGE_STYLE = "dev-page.css";

/** Every file in dist/browser/ the route serves, with its media type. */
export const DEV_PAGE_FILES: Readonly<Record<string, string>> = {
  [PAGE_HTML]: "text/html; charset=utf-8",
  [PAGE_STYLE]: "text/css; charset=utf-8",
  [PAGE_SCRIPT]: "text/javascript; charset=utf-8",
  [CLIENT_BUNDLE]: "text/javascript; charset=utf-8",
  [`${PAGE_SCRIPT}.map`]: "application/json",
  [`${CLIENT_BUNDLE}.map`]: "application/json",
};
