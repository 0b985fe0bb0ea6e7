import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "csv-parse/sync";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { parse as parseYaml } from "yaml";
import { cut, InputError } from "../errors.ts";
import { checkOutDir, cleanStalePartials, makeDir, MARKER, markerText, readMarker } from "../io/output.ts";
import { checkName, FORCE_OPTION_SPEC, fingerprint, identityYaml } from "./common.ts";
import { interruptedBy, pause, setInterruptMessage, throwIfInterrupted } from "./interrupt.ts";
import { runInWorkers } from "./pool.ts";
import { fmtDuration } from "../charts/format.ts";
import { loadScenarioFile } from "../io/scenario-file.ts";
import { csv } from "../io/output.ts";
import { inShard, parseShard, sweepPoints, type SweepPoint } from "../sweep/points.ts";

/*
 * `sim sweep`: runs every point of a scenario's `sweep:` block (the cartesian product), in parallel
 * worker threads, each into <out>/points/<NNNN-values>/ (written atomically, so a directory that exists
 * is a finished point). Re-running resumes: finished points are not run again. `--shard i/n` runs every
 * n-th point only, for spreading a sweep over machines; `sim merge` puts the shards together. sweep.csv
 * (one row per finished point: its swept values and its summary) is rewritten at the end.
 */

export interface SweepArgs {
  scenario: string;
  out?: string;
  jobs?: number;
  shard?: string;
  quiet?: boolean;
  force?: boolean;
}

export interface SweepOutcome {
  dir: string;
  points: number;
  ran: number;
  resumed: number;
  failed: number;
  wallSeconds: number;
}

const MANIFEST = "sweep.json";

interface Manifest {
  scenario: string;
  name: string;
  keys: string[];
  points: number;
  /** The sweep block, so that `sim merge` can list the points without the scenario file. */
  sweep: Record<string, unknown[]>;
  /** The base scenario resolved (as identifies a result), so that merge can name what differs. */
  base?: unknown;
  /** Each point's fingerprint (common.ts): a point is finished only if its marker carries it. */
  fingerprints?: Record<string, string>;
}

export async function simSweep(args: SweepArgs, log: (s: string) => void = () => {}): Promise<SweepOutcome> {
  const start = performance.now();
  const loaded = loadScenarioFile(args.scenario, [], { force: args.force });
  const sweep = loaded.scenario.sweep;
  if (!sweep) throw new InputError(`${args.scenario}: has no sweep: block (e.g. sweep: {redis.maxmemory-policy: [allkeys-lru, allkeys-lfu], redis.maxmemory: [32mb, 64mb]})`);
  const shard = args.shard !== undefined ? parseShard(args.shard) : null;
  if (args.shard !== undefined && shard === null) throw new InputError(`--shard ${JSON.stringify(args.shard)}: expected i/n with 1 ≤ i ≤ n, e.g. 2/8`);
  const jobs = args.jobs ?? availableParallelism();
  if (!Number.isInteger(jobs) || jobs < 1) throw new InputError(`--jobs ${args.jobs}: must be a whole number of at least 1`);
  const all = sweepPoints(sweep);
  // every point must be a valid scenario: check them all before running any; each gets its fingerprint
  const fingerprints: Record<string, string> = {};
  for (const p of all) fingerprints[p.dir] = fingerprint(loadScenarioFile(args.scenario, p.sets, { force: args.force }));
  const dir = args.out ?? join("results", `${checkName(loaded.name, loaded.file)}-sweep`);
  const base = parseYaml(identityYaml(loaded)) as Record<string, unknown>;
  delete base.sweep;
  const changed = prepareDir(dir, { scenario: resolve(args.scenario), name: loaded.name, keys: Object.keys(sweep), points: all.length, sweep, base, fingerprints });
  const mine = all.filter((p) => inShard(p, shard));
  const pointsDir = join(dir, "points");
  const { finished, stale } = scanPoints(pointsDir, fingerprints);
  const done = new Set(finished);
  const todo = mine.filter((p) => !done.has(p.dir));
  const resumed = mine.length - todo.length;
  const staleMine = mine.filter((p) => stale.includes(p.dir)).length;
  const label = `${loaded.name}${shard ? ` shard ${shard.i}/${shard.n}` : ""}`;
  if (!args.quiet) {
    if (loaded.scenario.replications > 1)
      process.stderr.write(`sweep ${label}: replications: ${loaded.scenario.replications} is for sim run; each sweep point runs once (its steady figures carry batch-means intervals)\n`);
    if (staleMine > 0)
      process.stderr.write(
        `sweep ${label}: ${staleMine} finished point${staleMine > 1 ? "s were" : " was"} run from a different scenario or evictsim version${changed ? ` (${changed})` : ""}: running ${staleMine > 1 ? "them" : "it"} again\n`,
      );
    process.stderr.write(`sweep ${label}: ${mine.length} points${resumed > 0 ? ` (${resumed} already finished, resumed)` : ""}, ${Math.min(jobs, Math.max(1, todo.length))} at a time\n`);
  }
  const failures = await runPoints(todo, args.scenario, pointsDir, Math.min(jobs, Math.max(1, todo.length)), args.quiet ? null : label, Boolean(args.force));
  writeSweepCsv(dir, all, Object.keys(sweep), fingerprints);
  if (shard === null) {
    // comparison charts (hit ratio against maxmemory per policy, evictions and OOM errors, …); loaded on
    // demand: jsdom takes a second to load
    const { renderSweepCharts } = await import("../io/render.ts");
    throwIfInterrupted(KEPT);
    renderSweepCharts(dir, { warn: (m) => process.stderr.write(`sim: warning: ${m}\n`) });
  }
  const wallSeconds = (performance.now() - start) / 1000;
  const outcome = { dir, points: mine.length, ran: todo.length - failures.length, resumed, failed: failures.length, wallSeconds };
  log(
    `sweep ${label}: ${outcome.ran} run, ${resumed} resumed, ${failures.length} failed, in ${wallSeconds.toFixed(1)}s\n` +
      `results: ${dir}/ (sweep.csv, ${shard === null ? "charts/, " : ""}points/)`,
  );
  if (failures.length > 0) {
    const first = failures[0];
    const msg = `${failures.length} of ${mine.length} sweep points failed; first: ${first.dir}: ${first.error}`;
    if (failures.every((f) => f.input)) throw new InputError(msg);
    throw new Error(msg);
  }
  return outcome;
}

const KEPT = "interrupted; finished points are kept: run the same command again to resume";

/** sweep.json of a directory, or an InputError saying what is wrong with it. */
function readManifest(dir: string): Manifest {
  const file = join(dir, MANIFEST);
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(file, "utf8")) as Manifest;
  } catch (e) {
    throw new InputError(`${file}: not a readable sweep manifest (${cut(String((e as Error).message).split("\n")[0], 80)}); remove the directory or choose another --out`);
  }
  if (!m || typeof m !== "object" || !Array.isArray(m.keys) || typeof m.points !== "number" || !m.sweep || typeof m.sweep !== "object")
    throw new InputError(`${file}: not a sweep manifest written by evictsim (keys, points, sweep missing); remove the directory or choose another --out`);
  return m;
}

/**
 * Makes `dir` a sweep directory for `manifest`: absent, empty, or one of ours (the marker) holding a
 * sweep over the same keys and points. Returns what changed in the base scenario since the last run
 * there ("" when nothing did): its points are then stale and run again.
 */
function prepareDir(dir: string, manifest: Manifest): string {
  const { keys, points } = manifest;
  const { exists } = checkOutDir(dir, "--out", "sweep");
  let changed = "";
  if (exists) {
    if (!existsSync(join(dir, MANIFEST))) throw new InputError(`--out ${dir}: is an evictsim ${readMarker(dir)?.kind ?? "result"} directory, not a sweep; choose another --out`);
    const m = readManifest(dir);
    if (m.points !== points || m.keys.join(",") !== keys.join(","))
      throw new InputError(`${dir}: holds a different sweep (${m.keys.join(" × ")}, ${m.points} points); choose another --out or remove it`);
    if (m.base !== undefined) changed = firstDifference(m.base, manifest.base) ?? "";
  }
  makeDir(join(dir, "points"));
  writeFileSync(join(dir, MARKER), markerText("sweep", { scenario: manifest.name }));
  const tmp = join(dir, `.${MANIFEST}.partial-${process.pid}`);
  writeFileSync(tmp, JSON.stringify(manifest, null, 2) + "\n");
  renameSync(tmp, join(dir, MANIFEST));
  return changed;
}

/**
 * The first field where two resolved scenarios differ, as "duration: 10s here, 30s there" (null when
 * they are the same).
 */
export function firstDifference(a: unknown, b: unknown, path = ""): string | null {
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  if (a && b && typeof a === "object" && typeof b === "object" && !Array.isArray(a) === !Array.isArray(b)) {
    const ka = Object.keys(a as object), kb = Object.keys(b as object);
    for (const k of [...ka, ...kb.filter((k) => !ka.includes(k))]) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      if (d !== null) return d;
    }
  }
  const show = (v: unknown) => (v === undefined ? "(absent)" : cut(typeof v === "string" ? v : JSON.stringify(v), 40));
  return `${path || "(the scenario)"}: ${show(a)} before, ${show(b)} now`;
}

/** Point directories that are finished (committed: a summary.csv inside; partial ones are hidden dot-dirs). */
export function finishedPoints(pointsDir: string): string[] {
  return scanPoints(pointsDir).finished;
}

/**
 * The points directory: finished points (committed, and with the expected fingerprint when
 * `fingerprints` is given) and stale ones (finished, but from another scenario or version: removed, so
 * they run again). Partial directories of processes that are gone are removed.
 */
function scanPoints(pointsDir: string, fingerprints?: Record<string, string>, removeStale = true): { finished: string[]; stale: string[] } {
  const finished: string[] = [], stale: string[] = [];
  if (!existsSync(pointsDir)) return { finished, stale };
  cleanStalePartials(pointsDir, true);
  for (const d of readdirSync(pointsDir)) {
    if (d.startsWith(".")) continue;
    const p = join(pointsDir, d);
    if (!existsSync(join(p, "summary.csv"))) continue;
    if (fingerprints !== undefined) {
      const m = readMarker(p);
      if (m === null || m.fingerprint !== fingerprints[d]) {
        stale.push(d);
        if (m !== null && removeStale) rmSync(p, { recursive: true, force: true });
        continue;
      }
    }
    finished.push(d);
  }
  return { finished: finished.sort(), stale: stale.sort() };
}

async function runPoints(
  todo: SweepPoint[],
  scenario: string,
  pointsDir: string,
  jobs: number,
  label: string | null,
  force = false,
): Promise<(SweepPoint & { error: string; input: boolean })[]> {
  if (todo.length === 0) return [];
  const failures: (SweepPoint & { error: string; input: boolean })[] = [];
  const byIndex = new Map(todo.map((p) => [p.index, p]));
  const t0 = performance.now();
  let finished = 0;
  let lastDraw = 0;
  const tty = Boolean(process.stderr.isTTY);
  const draw = (force = false) => {
    if (label === null) return;
    const wall = (performance.now() - t0) / 1000;
    if (!force && wall - lastDraw < (tty ? 0.25 : 10)) return;
    lastDraw = wall;
    const frac = finished / todo.length;
    const eta = finished > 0 ? (wall / finished) * (todo.length - finished) : NaN;
    const text =
      `sweep ${label} [${"#".repeat(Math.round(frac * 24)).padEnd(24, ".")}] ${finished}/${todo.length} points · ` +
      `${fmtDuration(Math.round(wall))} elapsed${Number.isFinite(eta) ? ` · ETA ${fmtDuration(Math.ceil(eta))}` : ""}`;
    process.stderr.write(tty ? `\r${text}\x1b[K` : `${text}\n`);
  };
  // Ctrl-C: the workers are stopped, their half-written points removed; finished points are kept
  setInterruptMessage(KEPT);
  try {
    await runInWorkers(
      todo.map((p) => ({ index: p.index, scenario, sets: p.sets, out: join(pointsDir, p.dir), force })),
      jobs,
      (res) => {
        finished++;
        if (!res.ok) failures.push({ ...byIndex.get(res.index)!, error: res.error ?? "failed", input: Boolean(res.input) });
        draw();
      },
    );
  } finally {
    if (label !== null && tty) process.stderr.write("\r\x1b[K");
    if (interruptedBy() !== null)
      // the workers' partial points carry this process's id: remove them now
      for (const d of readdirSync(pointsDir)) if (d.endsWith(`.partial-${process.pid}`)) rmSync(join(pointsDir, d), { recursive: true, force: true });
  }
  throwIfInterrupted(KEPT);
  return failures.sort((a, b) => a.index - b.index);
}

/** sweep.csv: one row per finished point, in point order: index, swept values, then its summary. */
export function writeSweepCsv(dir: string, all: SweepPoint[], keys: string[], fingerprints?: Record<string, string>): number {
  const pointsDir = join(dir, "points");
  const finished = new Set(scanPoints(pointsDir, fingerprints).finished);
  let header: string[] | null = null;
  const rows: (string | number)[][] = [];
  for (const p of all) {
    if (!finished.has(p.dir)) continue;
    const recs = parse(readFileSync(join(pointsDir, p.dir, "summary.csv"), "utf8"), { columns: false }) as string[][];
    if (header === null) header = recs[0];
    rows.push([p.index, p.dir, ...keys.map((k) => p.values[k]), ...recs[1]]);
  }
  const tmp = join(dir, `.sweep.csv.partial-${process.pid}`);
  writeFileSync(tmp, csv(["point", "dir", ...keys, ...(header ?? [])], rows));
  renameSync(tmp, join(dir, "sweep.csv"));
  return rows.length;
}

export const sweepCommand = (setCode: (c: number) => void): CommandModule<object, SweepArgs> => ({
  command: "sweep <scenario>",
  describe: "Run every combination of a scenario's sweep: block in parallel; resumable; writes sweep.csv",
  builder: (y: Argv) =>
    y
      .positional("scenario", { type: "string", describe: "scenario YAML file with a sweep: block", demandOption: true })
      .option("out", { alias: "o", type: "string", describe: "sweep directory (default results/<scenario name>-sweep)" })
      .option("jobs", { alias: "j", type: "number", describe: "points run at once, each in a worker thread (default: the number of cores)" })
      .option("shard", { type: "string", describe: "run only the i-th of n slices (i/n, e.g. 2/8); combine the shards with sim merge" })
      .option("quiet", { alias: "q", type: "boolean", describe: "no progress, no summary" })
      .option("force", FORCE_OPTION_SPEC)
      .example("$0 sweep scenarios/policy-sweep.yaml", "8 policies × 4 sizes, on every core")
      .example("$0 sweep scenarios/policy-sweep.yaml --jobs 1", "one point at a time")
      .example("$0 sweep scenarios/policy-sweep.yaml --shard 3/8 --out results/shard-3", "the third of 8 slices (one machine's share)")
      .epilogue("Interrupted? Run the same command again: finished points are kept and not re-run.") as Argv<SweepArgs>,
  handler: async (a: ArgumentsCamelCase<SweepArgs>) => {
    await simSweep(a, a.quiet ? undefined : (s) => process.stdout.write(s + "\n"));
    setCode(0);
  },
});

export interface MergeArgs {
  dirs: string[];
  out: string;
  quiet?: boolean;
}

/** `sim merge`: the finished points of several shard directories of one sweep, in one sweep directory. */
export async function simMerge(args: MergeArgs, log: (s: string) => void = () => {}): Promise<{ points: number; missing: number }> {
  let manifest: Manifest | null = null;
  for (const d of args.dirs) {
    if (!existsSync(join(d, MANIFEST))) throw new InputError(`${d}: not a sweep directory (no ${MANIFEST})`);
    const got = readManifest(d);
    if (manifest === null) manifest = got;
    else if (got.points !== manifest.points || JSON.stringify(got.sweep) !== JSON.stringify(manifest.sweep))
      throw new InputError(`${d}: holds a different sweep than ${args.dirs[0]} (${got.keys.join(" × ")}, ${got.points} points)`);
    else {
      const diff = firstDifference(manifest.base, got.base);
      if (diff !== null)
        throw new InputError(`${d}: a sweep of a different scenario than ${args.dirs[0]}: ${diff.replace(" before, ", ` in ${args.dirs[0]}, `).replace(/ now$/, ` in ${d}`)}`);
    }
  }
  if (manifest === null) throw new InputError("sim merge: name at least one sweep directory");
  for (const d of args.dirs)
    if (resolve(d) !== resolve(args.out) && existsSync(args.out) && readdirSync(args.out).length > 0 && existsSync(join(args.out, MANIFEST))) {
      const diff = firstDifference(readManifest(args.out).base, manifest.base);
      if (diff !== null) throw new InputError(`--out ${args.out}: holds a sweep of a different scenario (${diff}); choose another --out`);
    }
  prepareDir(args.out, manifest);
  const dest = join(args.out, "points");
  const fps = manifest.fingerprints;
  const have = new Set(scanPoints(dest, fps).finished);
  for (const d of args.dirs) {
    if (resolve(d) === resolve(args.out)) continue;
    for (const p of scanPoints(join(d, "points"), fps, false).finished) {
      if (have.has(p)) continue;
      // copied under a temporary name, then renamed: an interrupted merge leaves no half point
      const tmp = join(dest, `.${p}.partial-${process.pid}`);
      cpSync(join(d, "points", p), tmp, { recursive: true });
      await pause().catch((e) => {
        rmSync(tmp, { recursive: true, force: true });
        throw e;
      });
      renameSync(tmp, join(dest, p));
      have.add(p);
    }
  }
  const all = sweepPoints(manifest.sweep);
  const n = writeSweepCsv(args.out, all, manifest.keys, fps);
  const missing = all.filter((p) => !have.has(p.dir));
  const { renderSweepCharts } = await import("../io/render.ts");
  renderSweepCharts(args.out, { warn: (m) => process.stderr.write(`sim: warning: ${m}\n`) });
  log(
    `merged ${args.dirs.length} directories: ${n} of ${all.length} points` +
      (missing.length > 0 ? `; missing ${missing.length} (e.g. ${missing[0].dir}): run their shards, then merge again` : "") +
      `\nresults: ${args.out}/ (sweep.csv, charts/, points/)`,
  );
  return { points: n, missing: missing.length };
}

export const mergeCommand = (setCode: (c: number) => void): CommandModule<object, MergeArgs> => ({
  command: "merge <dirs..>",
  describe: "Combine the shard directories of one sweep (sim sweep --shard i/n) into one, with sweep.csv",
  builder: (y: Argv) =>
    y
      .positional("dirs", { type: "string", array: true, describe: "shard directories", demandOption: true })
      .option("out", { alias: "o", type: "string", demandOption: true, describe: "the merged sweep directory" })
      .option("quiet", { alias: "q", type: "boolean", describe: "print nothing but errors" })
      .example("$0 merge results/shard-* --out results/policy-sweep", "after every shard finished") as Argv<MergeArgs>,
  handler: async (a: ArgumentsCamelCase<MergeArgs>) => {
    const r = await simMerge(a, a.quiet ? undefined : (s) => process.stdout.write(s + "\n"));
    setCode(r.missing > 0 ? 2 : 0);
  },
});
