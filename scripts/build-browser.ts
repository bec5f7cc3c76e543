// npm run build (after the client package and tsc): the browser bundle of
// @presignd/client's universal entry and the --dev page, into dist/browser/.
//   node --import tsx scripts/build-browser.ts
import { copyFile, mkdir, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build, type Plugin } from "esbuild";
import { CLIENT_BUNDLE, PAGE_HTML, PAGE_SCRIPT, PAGE_STYLE } from "../src/server/dev-page/assets.js";

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const OUT = root("dist/browser");
const PAGE_SOURCES = root("src/server/dev-page");

const common = {
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
} as const;

// The page loads the client as a separate file, the way an app without a
// bundler would: its import of the package becomes one of the bundle.
const clientFromBundle: Plugin = {
  name: "client-from-bundle",
  setup(builder) {
    builder.onResolve({ filter: /^@presignd\/client$/ }, () => ({ path: `./${CLIENT_BUNDLE}`, external: true }));
  },
};

await mkdir(OUT, { recursive: true });
await build({ ...common, entryPoints: { [CLIENT_BUNDLE.replace(/\.js$/, "")]: "@presignd/client" }, outdir: OUT });
await build({
  ...common,
  entryPoints: { [PAGE_SCRIPT.replace(/\.js$/, "")]: `${PAGE_SOURCES}/dev-page.ts` },
  outdir: OUT,
  plugins: [clientFromBundle],
});
for (const file of [PAGE_HTML, PAGE_STYLE]) await copyFile(`${PAGE_SOURCES}/${file}`, `${OUT}/${file}`);

const bundle = await readFile(`${OUT}/${CLIENT_BUNDLE}`);
console.log(
  `dist/browser/${CLIENT_BUNDLE}: ${(bundle.byteLength / 1024).toFixed(1)} KiB minified, ${(gzipSync(bundle).byteLength / 1024).toFixed(1)} KiB gzipped`,
);
