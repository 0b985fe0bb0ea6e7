/*
 * Builds the teaching notebooks:
 *   1. bundles the simulator's core for the browser (esbuild: notebooks/evictsim.ts → notebooks/lib/evictsim.js,
 *      platform browser; a Node built-in anywhere in the import graph is an error naming the file and line);
 *   2. builds every notebooks/*.html (Observable Notebook Kit's Vite plugin, as `notebooks build` does)
 *      into static pages under notebooks/dist/.
 *
 *   npx tsx notebooks/build.ts              # both steps (npm run notebooks)
 *   npx tsx notebooks/build.ts --preview    # step 1, then Notebook Kit's live preview server
 *   npx tsx notebooks/build.ts --core-only  # step 1 only
 */

import { builtinModules } from "node:module";
import { readFile, readdir, stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build as esbuild, context as esbuildContext, type BuildOptions, type Plugin } from "esbuild";

export const NOTEBOOKS_DIR = dirname(fileURLToPath(import.meta.url));
export const DIST_DIR = join(NOTEBOOKS_DIR, "dist");
export const CORE_OUT = join(NOTEBOOKS_DIR, "lib", "evictsim.js");

/** `x?raw` imports as text (Vite's convention), so the notebooks get the scenarios' YAML as written. */
const rawPlugin: Plugin = {
  name: "raw",
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (args) => ({ path: join(args.resolveDir, args.path.slice(0, -4)), namespace: "raw" }));
    b.onLoad({ filter: /.*/, namespace: "raw" }, async (args) => ({ contents: await readFile(args.path, "utf8"), loader: "text" }));
  },
};

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/**
 * Fails the bundle on a Node built-in imported by our own code, naming the importing file and line
 * (esbuild adds them). Packages are left to esbuild, which applies their `browser` field (seedrandom's
 * guarded `require("crypto")` maps to nothing there).
 */
const noNodePlugin: Plugin = {
  name: "no-node-builtins",
  setup(b) {
    b.onResolve({ filter: /^[a-z_:/]+$/ }, (args) =>
      builtins.has(args.path) && !args.importer.includes("node_modules")
        ? { errors: [{ text: `"${args.path}" is a Node built-in: the simulator's core must run in a browser (imported by ${relative(process.cwd(), args.importer)})` }] }
        : undefined,
    );
  },
};

/**
 * The notebooks import src/index.ts, the public API, which also exports the chart-spec builders
 * (src/charts/, on @observablehq/plot). The notebooks draw with their own Plot, so those modules are
 * marked free of side effects: esbuild then leaves them out of the bundle when nothing uses them (they
 * have none: their top level only declares). The same would follow from package.json "sideEffects".
 */
const chartsUnusedPlugin: Plugin = {
  name: "charts-side-effect-free",
  setup(b) {
    b.onResolve({ filter: /\/charts\/[^/]+\.ts$/ }, (args) => {
      const path = join(args.resolveDir, args.path);
      return relative(join(NOTEBOOKS_DIR, "..", "src", "charts"), path).startsWith("..") ? undefined : { path, sideEffects: false };
    });
  },
};

const coreOptions = (outfile: string): BuildOptions & { metafile: true } => ({
  entryPoints: [join(NOTEBOOKS_DIR, "evictsim.ts")],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  outfile,
  sourcemap: true,
  metafile: true,
  legalComments: "none",
  logLevel: "warning",
  plugins: [rawPlugin, noNodePlugin, chartsUnusedPlugin],
});

/**
 * Bundles `entry` for the browser in memory (nothing written) with the same Node built-in check as the
 * notebooks' core; returns the files it took in (relative to the working directory). Throws esbuild's
 * failure, naming the built-in and the importing file, if any of our files reaches one.
 * test/index.test.ts holds src/index.ts, the public API, to this.
 */
export async function browserInputs(entry: string): Promise<string[]> {
  const result = await esbuild({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [rawPlugin, noNodePlugin],
  });
  return Object.keys(result.metafile.inputs);
}

/** Step 1: the core as one browser ESM file. Returns its size in bytes. */
export async function bundleCore(outfile = CORE_OUT): Promise<number> {
  const result = await esbuild(coreOptions(outfile));
  return result.metafile.outputs[relative(process.cwd(), outfile)]?.bytes ?? (await stat(outfile)).size;
}

/** The notebooks: every *.html in notebooks/ (index.html included). */
export async function notebookFiles(): Promise<string[]> {
  return (await readdir(NOTEBOOKS_DIR)).filter((f) => f.endsWith(".html")).sort();
}

/*
 * Two warnings that are not ours and say nothing about the notebooks are dropped:
 * - Vite 8 deprecates `resolve.alias` entries with a `customResolver`, which Notebook Kit's config()
 *   uses for its `npm:` imports (we use none: every import is bundled from node_modules);
 * - hdr-histogram-js hides `require("zlib")` from bundlers in a direct eval, in its histogram encoder,
 *   which the simulator never calls.
 */
const quiet = (msg: string) => msg.includes("customResolver") || (msg.includes("eval") && msg.includes("evictsim.js"));

async function quietLogger(level: "info" | "warn" = "warn") {
  const { createLogger } = await import("vite");
  const logger = createLogger(level);
  const { warn, warnOnce } = logger;
  logger.warn = (msg, opts) => (quiet(msg) ? undefined : warn(msg, opts));
  logger.warnOnce = (msg, opts) => (quiet(msg) ? undefined : warnOnce(msg, opts));
  return logger;
}

/** Step 2: Notebook Kit's static build of every notebook into notebooks/dist/. */
export async function buildNotebooks(): Promise<void> {
  const { build } = await import("vite");
  const { config, observable } = await import("@observablehq/notebook-kit/vite");
  const files = await notebookFiles();
  await build({
    ...config(),
    plugins: [observable()],
    root: NOTEBOOKS_DIR,
    base: "./",
    logLevel: "warn",
    customLogger: await quietLogger(),
    configFile: false,
    build: {
      outDir: DIST_DIR,
      emptyOutDir: true,
      chunkSizeWarningLimit: 2048,
      rollupOptions: {
        input: files.map((f) => join(NOTEBOOKS_DIR, f)),
        onwarn(warning, handler) {
          if (warning.code === "EVAL" && quiet(`eval ${warning.id ?? warning.loc?.file ?? ""}`)) return;
          handler(warning);
        },
      },
    },
  });
}

/**
 * Notebook Kit's preview server over notebooks/ (what `notebooks preview --root notebooks` runs), with
 * the core rebundled whenever the simulator's sources change: edit a notebook or src/ and the page reloads.
 */
export async function preview(): Promise<void> {
  const ctx = await esbuildContext(coreOptions(CORE_OUT));
  await ctx.watch();
  const { createServer } = await import("vite");
  const { config, observable } = await import("@observablehq/notebook-kit/vite");
  const server = await createServer({
    ...config(),
    plugins: [observable()],
    root: NOTEBOOKS_DIR,
    configFile: false,
    customLogger: await quietLogger("info"),
  });
  await server.listen();
  server.printUrls();
  server.bindCLIShortcuts({ print: true });
}

async function main(argv: string[]): Promise<void> {
  const t0 = performance.now();
  const bytes = await bundleCore();
  console.log(`notebooks: core bundled: ${relative(process.cwd(), CORE_OUT)} (${(bytes / 1024).toFixed(0)} KiB)`);
  if (argv.includes("--core-only")) return;
  if (argv.includes("--preview")) return preview();
  await buildNotebooks();
  const files = await notebookFiles();
  console.log(`notebooks: ${files.length} notebooks built into ${relative(process.cwd(), DIST_DIR)}/ in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
