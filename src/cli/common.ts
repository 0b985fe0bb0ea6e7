import { createHash } from "node:crypto";
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { basename, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { cut, InputError } from "../errors.ts";
import { CsvStream, csv, RunDir, TOOL_VERSION } from "../io/output.ts";
import { settle } from "./interrupt.ts";
import { infoText, type RunOutcome } from "./info-text.ts";
import { Progress } from "./progress.ts";
import { resolvedYaml, type LoadedScenario } from "../io/scenario-file.ts";
import { compile, runColumns, runSummaryColumns } from "../api.ts";
import type { Summary } from "../metrics/columns.ts";

export interface RunDirOptions {
  /** The marker's kind ("run", "replay"). */
  kind?: string;
  /** Runs after the CSVs are written and before the directory is moved into place (charts). */
  finish?: (dir: RunDir) => void | Promise<void>;
  /** Told when an earlier result of ours is replaced. */
  notice?: (message: string) => void;
  /** The run's findings in words, for the terminal summary (runToDir). */
  describe?: (summary: Summary) => string[] | Promise<string[]>;
}

/**
 * Writes a run directory atomically: `body` streams timeseries rows through `row` and returns the
 * summary; summary.csv and scenario.resolved.yaml follow (and `finish`: the charts), then the directory
 * is moved into place. On an error or an interrupt (Ctrl-C: `body` throws Interrupted) the temporary
 * directory is removed and nothing is left behind; an earlier result stays as it was.
 */
export async function writeRunDir(
  dirPath: string,
  loaded: LoadedScenario,
  body: (row: (values: number[]) => void, dir: RunDir) => Summary | Promise<Summary>,
  options: RunDirOptions = {},
): Promise<Summary> {
  const dir = new RunDir(dirPath, options.kind ?? "run", { scenario: loaded.name, seed: loaded.scenario.seed, model: modelVersion(), fingerprint: fingerprint(loaded) });
  try {
    const plan = compile(loaded.scenario);
    const ts = new CsvStream(dir.path("timeseries.csv"), runColumns(plan).map((c) => c.name));
    const s = await body((row) => ts.row(row), dir);
    ts.flush();
    const cols = runSummaryColumns(plan);
    dir.write("summary.csv", csv(cols.map((c) => c.name), [cols.map((c) => s[c.name] ?? "")]));
    dir.write("scenario.resolved.yaml", resolvedYaml(loaded, dirPath, loaded.scenario.seed));
    await options.finish?.(dir);
    await settle();
    dir.commit();
    if (dir.replacing) options.notice?.(`replaced the earlier result in ${dirPath}/`);
    return s;
  } catch (e) {
    dir.abandon();
    throw e;
  }
}

/**
 * The shared shape of `sim run` and `sim replay`: progress on stderr, the run directory written
 * atomically by `body` (which gets the row sink, the directory and the progress callback), then the
 * INFO-style summary.
 */
export async function runToDir(
  dirPath: string,
  loaded: LoadedScenario,
  label: string,
  quiet: boolean,
  log: (s: string) => void,
  body: (row: (values: number[]) => void, dir: RunDir, progress: (now: number, dur: number, n: number) => void) => Summary | Promise<Summary>,
  options: RunDirOptions = {},
): Promise<RunOutcome> {
  const progress = new Progress(label, quiet);
  try {
    const notices: string[] = [];
    const summary = await writeRunDir(dirPath, loaded, (row, dir) => body(row, dir, (n, d, k) => progress.update(n, d, k)), {
      ...options,
      finish: async (dir) => {
        progress.done();
        await options.finish?.(dir);
      },
      notice: (m) => notices.push(m),
    });
    progress.done();
    const findings = quiet ? [] : ((await options.describe?.(summary)) ?? []);
    const outcome = { dir: dirPath, summary, wallSeconds: progress.elapsedSeconds, findings };
    log(infoText(outcome));
    for (const n of notices) (options.notice ?? log)(n);
    return outcome;
  } finally {
    progress.done();
  }
}

/**
 * A scenario's name as a directory name: a name, not a path (no "/", "\\", "..", leading "." or control
 * characters), so that `name:` can never point a run outside results/.
 */
export function checkName(name: string, file: string): string {
  if (name === "" || /[/\\]/.test(name) || name === "." || name === ".." || name.startsWith(".") || /[\u0000-\u001f\u007f]/.test(name))
    throw new InputError(`${file}: name: ${JSON.stringify(cut(name, 60))} is a name, not a path (no "/", "\\", "..", leading "." or control characters); use --out to choose a directory`);
  return name;
}

/**
 * The default directory of a run: results/<name>, or, when --set or --seed changed the scenario,
 * results/<name>--<what changed> (e.g. results/policy-comparison--redis.maxmemory-policy=allkeys-lfu), so a
 * variant never replaces the plain scenario's result. Long lists of overrides get a short hash instead.
 */
export function defaultOutDir(name: string, file: string, set: readonly string[] = [], seed?: number, suffix = ""): string {
  checkName(name, file);
  // the whole path: workload.classes.0.keys and workload.classes.1.keys must not share a directory
  const parts = set.map((s) => s.trim());
  if (seed !== undefined) parts.push(`seed=${seed}`);
  if (parts.length === 0) return join("results", name + suffix);
  let slug = parts.join(",").replace(/[^A-Za-z0-9._=,%+-]+/g, "_");
  if (slug.length > 60 || slug.startsWith(".")) slug = `overrides-${fnv1a([...set, `seed=${seed ?? ""}`].join("\n"))}`;
  return join("results", `${name}${suffix}--${slug}`);
}

/** FNV-1a 32-bit, as 8 hex digits (a short, stable name for a set of overrides). */
export function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/**
 * What produced a result: a hash of the resolved scenario (every default filled in, the seed, a trace
 * named by its file name and size rather than its path) and evictsim's version. Two results with the
 * same fingerprint come from the same inputs; a sweep resumes only points whose fingerprint matches.
 */
export function fingerprint(loaded: LoadedScenario): string {
  return createHash("sha256").update(`${TOOL_VERSION}\n${modelVersion()}\n${identityYaml(loaded)}`).digest("hex").slice(0, 16);
}

let MODEL_VERSION: string | null = null;
/**
 * The simulator's version as results depend on it: a hash of every source file under src/ (the package
 * version alone is not bumped for every change of the model, and a sweep resumed across one would mix
 * figures of two models).
 */
export function modelVersion(): string {
  if (MODEL_VERSION !== null) return MODEL_VERSION;
  const root = fileURLToPath(new URL("../", import.meta.url));
  const h = createHash("sha256");
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true })
      .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : /\.(ts|mjs|js)$/.test(e.name) && !/\.test\.ts$/.test(e.name) ? [join(dir, e.name)] : []))
      .sort();
  for (const f of walk(root)) h.update(relative(root, f)).update("\0").update(readFileSync(f)).update("\0");
  MODEL_VERSION = h.digest("hex").slice(0, 12);
  return MODEL_VERSION;
}

/** A trace's identity: its size and a hash of its first and last 64 KiB (not its path: a copy is the same trace). */
function traceIdentity(path: string): string {
  try {
    const size = statSync(path).size;
    const fd = openSync(path, "r");
    try {
      const n = Math.min(65536, size);
      const head = Buffer.alloc(n), tail = Buffer.alloc(n);
      readSync(fd, head, 0, n, 0);
      readSync(fd, tail, 0, n, Math.max(0, size - n));
      return `${size} bytes, ${createHash("sha256").update(head).update(tail).digest("hex").slice(0, 12)}`;
    } finally {
      closeSync(fd);
    }
  } catch {
    return "absent";
  }
}

/** The resolved scenario as it identifies a result (no paths: a trace by file name and size). */
export function identityYaml(loaded: LoadedScenario): string {
  const l = { ...loaded, scenario: structuredClone(loaded.scenario) };
  if (l.scenario.workload.trace && loaded.tracePath) {
    l.scenario.workload.trace.path = `${basename(loaded.tracePath)} (${traceIdentity(loaded.tracePath)})`;
    delete l.tracePath;
  }
  // no header comment (it names the output directory), no path-dependent fields
  return resolvedYaml(l, ".", loaded.scenario.seed).replace(/^(#.*\n)+/, "");
}

/** --force: the yargs option of every command that simulates (see src/scenario/bounds.ts). */
export const FORCE_OPTION_SPEC = {
  type: "boolean",
  describe: "run a scenario that the size checks call merely large (hours of work, gigabytes of CSV); what cannot finish or fit is still refused",
} as const;

/**
 * --seed: a whole number from 0 to 2^32 − 1, read as written (yargs' number type would turn `--seed ''`
 * into 0 and `--seed abc` into NaN).
 */
export const SEED_OPTION_SPEC = {
  type: "string",
  describe: "override the scenario's seed (0 to 4294967295)",
  coerce: (v: unknown): number | undefined => {
    if (v === undefined) return undefined;
    const text = String(Array.isArray(v) ? v[v.length - 1] : v).trim();
    if (!/^\d+$/.test(text) || Number(text) > 2 ** 32 - 1) throw new InputError(`--seed ${JSON.stringify(cut(text, 30))}: give a whole number from 0 to 4294967295`);
    return Number(text);
  },
} as const;
