import { existsSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, join, normalize, resolve } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { InputError } from "../errors.ts";
import { checkOutDir, csv, RunDir } from "../io/output.ts";
import { pause, settle } from "./interrupt.ts";
import { APP_SUMMARY_COLUMNS, PERSISTENCE_SUMMARY_COLUMNS, SUMMARY_COLUMNS } from "../metrics/columns.ts";

/*
 * `sim compare <run-dir> <run-dir> ...`: the runs' timeseries overlaid, one colour per run labelled by its
 * directory name (charts/<id>.svg and .png, src/charts/compare.ts), and compare.csv: the runs' summary.csv
 * side by side, one row per figure, one column per run. The output directory (default results/compare/)
 * is written under a temporary name and moved into place whole. The chart code is imported on demand.
 */

export interface CompareArgs {
  runs: string[];
  out?: string;
  metric?: string[];
  png?: boolean;
  quiet?: boolean;
}

export interface CompareOutcome {
  /** the output directory */
  dir: string;
  /** files written, relative to dir: compare.csv, charts/<id>.svg (and .png) */
  files: string[];
  /** each run's label, in the order given */
  names: string[];
}

const DEFAULT_OUT = join("results", "compare");

const UNITS = new Map<string, string>([...SUMMARY_COLUMNS, ...APP_SUMMARY_COLUMNS, ...PERSISTENCE_SUMMARY_COLUMNS].map((c) => [c.name, c.unit]));

/** The figures printed side by side on the terminal (when at least one run has them). */
const PRINTED = ["maxmemory_policy", "maxmemory", "steady_state", "warmup_s", "steady_hit_ratio", "steady_hit_ratio_ci95", "steady_evicted_per_s", "steady_evicted_per_s_ci95", "hit_ratio", "evicted_keys", "oom_rejected_writes", "used_memory_peak", "latency_p99_ms", "db_in_flight_peak", "cow_peak", "writes_lost"];

export async function simCompare(args: CompareArgs, log: (s: string) => void = () => {}): Promise<CompareOutcome> {
  const dirs = args.runs ?? [];
  if (dirs.length < 2) throw new InputError(`compare: name at least two run directories (got ${dirs.length})`);
  const seen = new Map<string, string>();
  for (const d of dirs) {
    const r = resolve(d);
    if (seen.has(r)) throw new InputError(`compare: ${d}: named twice (as ${seen.get(r)} too); name each run once`);
    seen.set(r, d);
  }
  for (const d of dirs) {
    if (existsSync(d) && statSync(d).isDirectory() && existsSync(join(d, "sweep.json")) && !existsSync(join(d, "summary.csv")))
      throw new InputError(`${d}: a sweep directory, not a run; compare its points (${join(d, "points", "<point>")}) or see sim report ${d}`);
  }
  const { readRun, readTable, withDocument, writeChartsAsync } = await import("../io/render.ts");
  const { buildCompareCharts } = await import("../charts/compare.ts");
  const runs = dirs.map((d) => ({ dir: d, ...readRun(d), summary: readTable(join(d, "summary.csv")) }));
  const names = runNames(dirs);
  const metrics = args.metric ?? [];
  for (const m of metrics) {
    if (m === "time_s") throw new InputError(`--metric time_s: time is the x axis; name a timeseries column such as used_memory or hit_ratio`);
    const without = runs.find((r) => !r.columns.includes(m));
    if (without)
      throw new InputError(
        `--metric ${m}: not a column of ${join(without.dir, "timeseries.csv")} (it has ${without.columns.filter((c) => c !== "time_s").join(", ")})`,
      );
  }
  const out = args.out ?? DEFAULT_OUT;
  if (seen.has(resolve(out))) throw new InputError(`--out ${out}: is one of the runs compared; choose another directory`);
  checkOutDir(out);

  const charts = withDocument((document) =>
    buildCompareCharts(
      runs.map((r, i) => ({ name: names[i], rows: r.rows, columns: r.columns, info: r.info })),
      document,
      { metrics },
    ),
  );
  const table = compareTable(names, runs.map((r) => ({ columns: r.summary.columns, record: r.summary.records[0] ?? {} })));

  const dir = new RunDir(out, "compare", { runs: names });
  let files: string[];
  try {
    dir.write("compare.csv", csv(table.header, table.rows));
    files = ["compare.csv", ...(await writeChartsAsync(dir.tmp, charts, { png: args.png ?? true, warn: (m) => process.stderr.write(`sim: warning: ${m}\n`), pause }))];
    await settle();
    dir.commit();
  } finally {
    dir.abandon();
  }
  log(sideBySide(table));
  const verdicts = noiseVerdicts(names, runs.map((r) => r.summary.records[0] ?? {}));
  if (verdicts.length > 0) log(["", `Against ${names[0]} (steady state after the warm-up; noise = the two runs' 95 % intervals combined):`, ...verdicts.map((v) => `  ${v}`)].join("\n"));
  log(`results: ${out}/ (compare.csv, charts/: ${charts.map((c) => c.id).join(", ")})`);
  return { dir: out, files, names };
}

/** The steady figures compared for noise, with how a difference is written. */
const NOISE_FIGURES: [string, string, (d: number) => string][] = [
  ["steady_hit_ratio", "hit ratio", (d) => `${d >= 0 ? "+" : "−"}${Math.abs(d * 100).toPrecision(2)} pp`],
  ["steady_evicted_per_s", "evictions/s", (d) => `${d >= 0 ? "+" : "−"}${+Math.abs(d).toPrecision(3)}`],
  ["steady_p99_ms", "p99 latency", (d) => `${d >= 0 ? "+" : "−"}${+Math.abs(d).toPrecision(3)} ms`],
];

/**
 * Whether each run's steady figures differ from the first run's by more than noise: two independent
 * estimates with 95 % half-widths a and b differ significantly when the difference exceeds √(a² + b²).
 * A run without a steady state is said to have none (its whole-run figures include the cold start).
 */
export function noiseVerdicts(names: readonly string[], records: readonly Readonly<Record<string, string>>[]): string[] {
  const out: string[] = [];
  const base = records[0];
  if (base === undefined || base.steady_state === undefined) return out;
  for (let i = 1; i < records.length; i++) {
    const r = records[i];
    if (r.steady_state === undefined) continue;
    const unsteady = [base, r].map((x, j) => (x.steady_state !== "reached" ? (j === 0 ? names[0] : names[i]) : null)).filter((x) => x !== null);
    if (unsteady.length > 0) {
      out.push(`${names[i]}: cannot tell: no steady state in ${unsteady.join(" and ")} (whole-run figures include the cold start)`);
      continue;
    }
    const parts: string[] = [];
    for (const [col, label, fmt] of NOISE_FIGURES) {
      const a = Number(base[col]), b = Number(r[col]);
      if (base[col] === undefined || base[col] === "" || r[col] === undefined || r[col] === "") continue;
      const ca = Number(base[`${col}_ci95`]), cb = Number(r[`${col}_ci95`]);
      const noise = Math.sqrt((Number.isFinite(ca) ? ca : 0) ** 2 + (Number.isFinite(cb) ? cb : 0) ** 2);
      const d = b - a;
      if (!Number.isFinite(noise) || noise === 0) parts.push(`${label} ${fmt(d)} (no interval)`);
      else if (Math.abs(d) <= noise) parts.push(`${label} ${fmt(d)}: within noise (±${fmt(noise).slice(1)})`);
      else parts.push(`${label} ${fmt(d)}: beyond noise (±${fmt(noise).slice(1)})`);
    }
    if (parts.length > 0) out.push(`${names[i]}: ${parts.join("; ")}`);
  }
  return out;
}

/** Each run's label: its directory's name, or the path as given where two runs share a name. */
export function runNames(dirs: readonly string[]): string[] {
  const base = dirs.map((d) => basename(resolve(d)));
  return dirs.map((d, i) => (base.filter((b) => b === base[i]).length > 1 ? normalize(d).replace(/[\\/]+$/, "") : base[i]));
}

export interface CompareTable {
  /** metric, unit, then one column per run */
  header: string[];
  rows: string[][];
}

/** The runs' summaries side by side: every figure any run has, in the first run's order, then the others'. */
export function compareTable(names: readonly string[], summaries: readonly { columns: readonly string[]; record: Readonly<Record<string, string>> }[]): CompareTable {
  const metrics: string[] = [];
  for (const s of summaries) for (const c of s.columns) if (!metrics.includes(c)) metrics.push(c);
  return {
    header: ["metric", "unit", ...names],
    rows: metrics.map((m) => [m, UNITS.get(m) ?? "", ...summaries.map((s) => (s.columns.includes(m) ? (s.record[m] ?? "") : ""))]),
  };
}

function sideBySide(t: CompareTable): string {
  const rows = [t.header.filter((_, i) => i !== 1), ...t.rows.filter((r) => PRINTED.includes(r[0]) && r.slice(2).some((v) => v !== "")).map((r) => r.filter((_, i) => i !== 1))];
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  return rows.map((r) => r.map((v, j) => (j === 0 ? v.padEnd(widths[j]) : v.padStart(widths[j]))).join("  ")).join("\n");
}

export const compareCommand = (setCode: (c: number) => void): CommandModule<object, CompareArgs> => ({
  command: "compare <runs..>",
  describe: "Overlay several runs' timeseries (one colour per run) and put their summaries side by side",
  builder: (y: Argv) =>
    y
      .positional("runs", { type: "string", array: true, describe: "two or more run directories (sim run or sim replay)", demandOption: true })
      .option("out", { alias: "o", type: "string", describe: `output directory (default ${DEFAULT_OUT})` })
      .option("metric", {
        type: "string",
        array: true,
        describe: "timeseries column to overlay, one chart each, instead of the default charts (repeatable), e.g. --metric used_memory --metric keys",
      })
      .option("png", { type: "boolean", default: true, describe: "write PNGs beside the SVGs (--no-png: SVG only)" })
      .option("quiet", { alias: "q", type: "boolean", describe: "print nothing but errors" })
      .example("$0 compare results/lru results/lfu", "memory, hit ratio and evictions/s of two runs overlaid; compare.csv")
      .example("$0 compare results/a results/b results/c --metric keys --metric expired_per_sec --out results/abc", "chosen columns") as Argv<CompareArgs>,
  handler: async (a: ArgumentsCamelCase<CompareArgs>) => {
    await simCompare(a, a.quiet ? undefined : (s) => process.stdout.write(s + "\n"));
    setCode(0);
  },
});
