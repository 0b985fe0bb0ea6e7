import { readdirSync, readFileSync, existsSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/*
 * Issue 15: the arrows between folders (docs/architecture.md). Read from the sources themselves (every
 * import, export … from, `import type` and dynamic import(), as TypeScript's own pre-processor finds
 * them), so that a change that breaks a rule fails here with the file and the import named.
 *
 *  - the model (src/core, src/redis, src/workload, src/app, src/db, src/cluster) imports nothing from src/scenario,
 *    src/cli, src/io or src/parts: scenario compiles into the model's types, not the other way round;
 *  - Node's built-ins (node:…) only in src/cli and src/io: the rest runs in a browser (the notebooks);
 *  - no import circle, between files or between folders;
 *  - src/index.ts, the public API, is what the notebooks use; bin/ and the CLI use src/api.ts, which is
 *    src/index.ts without the chart builders.
 */

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const SRC = join(ROOT, "src");
const MODEL = ["core", "redis", "workload", "app", "db", "cluster"];
const NODE_ONLY = ["cli", "io"];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (/\.(ts|mts|mjs)$/.test(e.name) && !/\.test\.ts$/.test(e.name)) out.push(p);
  }
  return out;
}

/** The imports of a file: project files (absolute paths) and bare specifiers (node:…, packages). */
function importsOf(file: string): { local: string[]; bare: string[] } {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  const local: string[] = [], bare: string[] = [];
  for (const { fileName } of info.importedFiles) {
    if (fileName.startsWith(".")) local.push(normalize(join(dirname(file), fileName)));
    else bare.push(fileName);
  }
  return { local, bare };
}

const FILES = sources(SRC);
const GRAPH = new Map(FILES.map((f) => [f, importsOf(f)]));
const rel = (f: string) => relative(ROOT, f);
/** A file's folder under src/; a file directly in src/ is a node of its own ("errors.ts", "run.ts", …). */
const folder = (f: string) => relative(SRC, f).split(/[\\/]/)[0];
/** Files directly in src/ that are leaves anyone may import (they import only each other). */
const LEAVES = ["errors.ts", "units.ts"];

/** The circles of a directed graph, each as the path that closes it (depth-first search). */
function circles(edges: Map<string, string[]>): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const visit = (n: string) => {
    state.set(n, "open");
    stack.push(n);
    for (const m of edges.get(n) ?? []) {
      if (state.get(m) === "open") found.push([...stack.slice(stack.indexOf(m)), m]);
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, "done");
  };
  for (const n of edges.keys()) if (!state.has(n)) visit(n);
  return found;
}

describe("architecture (docs/architecture.md)", () => {
  it("reads every source file's imports (the rules below see something)", () => {
    expect(FILES.length).toBeGreaterThan(80);
    expect(GRAPH.get(join(SRC, "parts/runner.ts"))!.local.some((f) => f.endsWith("redis/server.ts"))).toBe(true);
  });

  it("the model imports only the model, metrics/ and the leaves (nothing from scenario/, cli/, io/, parts/, run.ts)", () => {
    const bad: string[] = [];
    for (const [f, { local }] of GRAPH)
      if (MODEL.includes(folder(f)))
        for (const d of local) if (!MODEL.includes(folder(d)) && !LEAVES.includes(folder(d)) && folder(d) !== "metrics") bad.push(`${rel(f)} → ${rel(d)}`);
    expect(bad).toEqual([]);
  });

  it("Node's built-ins are imported only in src/cli and src/io", () => {
    const bad: string[] = [];
    for (const [f, { bare }] of GRAPH) if (!NODE_ONLY.includes(folder(f))) for (const b of bare) if (b.startsWith("node:") || ["fs", "path", "os", "child_process", "net", "crypto"].includes(b)) bad.push(`${rel(f)} → ${b}`);
    expect(bad).toEqual([]);
  });

  it("the leaves import only each other", () => {
    for (const leaf of LEAVES) expect((GRAPH.get(join(SRC, leaf))?.local ?? []).filter((d) => !LEAVES.includes(folder(d))), leaf).toEqual([]);
  });

  it("no import circle between files", () => {
    const edges = new Map([...GRAPH].map(([f, { local }]) => [f, local.filter((d) => GRAPH.has(d))]));
    expect(circles(edges).map((c) => c.map(rel).join(" → "))).toEqual([]);
  });

  it("no import circle between folders", () => {
    const edges = new Map<string, string[]>();
    for (const [f, { local }] of GRAPH)
      for (const d of local) {
        const a = folder(f), b = folder(d);
        if (GRAPH.has(d) && a !== b) edges.set(a, [...(edges.get(a) ?? []), b]);
      }
    expect(circles(edges).map((c) => c.map((x) => `src/${x}`).join(" → "))).toEqual([]);
  });

  it("src/index.ts, the public API, exists; bin/, the CLI and the notebooks use it", () => {
    // src/index.ts is src/api.ts plus the chart builders; bin/ and the CLI take src/api.ts, the same API
    // without the charts, so that a command that draws nothing does not load Plot (src/api.ts says why)
    const index = join(SRC, "index.ts"), api = join(SRC, "api.ts");
    expect(existsSync(index)).toBe(true);
    expect(importsOf(index).local).toContain(api);
    expect(readFileSync(index, "utf8")).toMatch(/^export \* from "\.\/api\.ts";$/m);
    const uses = (file: string, entries = [index, api]) => importsOf(file).local.some((d) => entries.includes(d));
    expect(uses(join(ROOT, "bin/sim.js")), "bin/sim.js").toBe(true);
    expect(uses(join(ROOT, "notebooks/evictsim.ts"), [index]), "notebooks/evictsim.ts").toBe(true);
    const cli = FILES.filter((f) => folder(f) === "cli" && uses(f)).map(rel);
    expect(cli.length, "src/cli files importing the public API").toBeGreaterThanOrEqual(5);
    // nothing else of the notebooks reaches into src/
    const nb = importsOf(join(ROOT, "notebooks/evictsim.ts")).local.filter((d) => d.startsWith(SRC) && d !== index);
    expect(nb.map(rel)).toEqual([]);
  });
});
