// Bundle every js/src/widgets/*.ts entry to hitl_widgets/static/<name>.js (ESM, minified,
// es2020, every dependency inlined: nothing is fetched from a CDN at run time).
// CSS imported from an entry lands in hitl_widgets/static/<name>.css.
//   node build.mjs           one build
//   node build.mjs --watch   rebuild on change (anywidget hot-reloads the files)
import * as esbuild from "esbuild";
import { readdirSync, readFileSync, statSync, mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const srcDir = join(here, "src", "widgets");
const outdir = resolve(here, "..", "hitl_widgets", "static");
const watch = process.argv.includes("--watch");

const entryPoints = readdirSync(srcDir)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts") && !f.endsWith(".test.ts"))
  .map((f) => join(srcDir, f));
if (!entryPoints.length) {
  console.error(`no widget entries in ${srcDir}`);
  process.exit(1);
}
mkdirSync(outdir, { recursive: true });

/** @type {import('esbuild').BuildOptions} */
const options = {
  entryPoints,
  outdir,
  entryNames: "[name]",
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2020",
  minify: !watch,
  sourcemap: watch ? "inline" : false,
  legalComments: "none",
  logLevel: "info",
  metafile: true,
  define: { "process.env.NODE_ENV": JSON.stringify(watch ? "development" : "production") },
};

/** Fail the build if an output still imports anything (a CDN URL, a bare package). */
function checkSelfContained(metafile) {
  const bad = [];
  for (const [file, out] of Object.entries(metafile.outputs)) {
    for (const imp of out.imports ?? []) if (imp.external) bad.push(`${file} imports ${imp.path}`);
    if (file.endsWith(".js")) {
      const code = readFileSync(resolve(here, file), "utf8");
      if (/\bimport\s*\(?\s*["'`]https?:/.test(code) || /\bfrom\s*["'`]https?:/.test(code)) {
        bad.push(`${file} imports from a URL`);
      }
    }
  }
  if (bad.length) throw new Error(`bundle is not self-contained:\n  ${bad.join("\n  ")}`);
}

function report(metafile) {
  for (const file of Object.keys(metafile.outputs).sort()) {
    const size = statSync(resolve(here, file)).size;
    console.log(`  ${file.replace(/^.*hitl_widgets\//, "hitl_widgets/")}  ${(size / 1024).toFixed(1)} KiB`);
  }
}

if (watch) {
  const ctx = await esbuild.context({
    ...options,
    plugins: [
      {
        name: "check",
        setup(build) {
          build.onEnd((r) => {
            if (r.metafile) {
              try {
                checkSelfContained(r.metafile);
              } catch (e) {
                console.error(String(e));
              }
            }
          });
        },
      },
    ],
  });
  await ctx.watch();
  console.log("watching js/src for changes...");
} else {
  const result = await esbuild.build(options);
  checkSelfContained(result.metafile);
  report(result.metafile);
}
