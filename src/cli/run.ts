import { join } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { InputError } from "../errors.ts";
import { loadScenarioFile, openTrace, type LoadedScenario } from "../io/scenario-file.ts";
import { CLASS_COLUMNS, compile, HERD_COLUMNS, runColumns, runPlanYielding, type RunOptions } from "../api.ts";
import { pause } from "./interrupt.ts";
import { CsvStream, csv } from "../io/output.ts";
import { EV_CRASH } from "../parts/plan.ts";
import { defaultOutDir, FORCE_OPTION_SPEC, SEED_OPTION_SPEC, runToDir } from "./common.ts";
import { checkReplications, combineReplications, startReplications } from "./replications.ts";
export { infoText, type RunOutcome } from "./info-text.ts";
import type { RunOutcome } from "./info-text.ts";

/** Rows kept in memory for the terminal findings (beyond, the findings use the summary alone). */
const KEPT_ROWS = 200_000;

export interface RunArgs {
  scenario: string;
  out?: string;
  seed?: number;
  set?: string[];
  quiet?: boolean;
  /** Render charts/*.svg and *.png next to the CSVs (the CLI's default; off unless asked in the API). */
  charts?: boolean;
  /** Run a merely large scenario anyway (src/scenario/bounds.ts). */
  force?: boolean;
  /** Independent seeds to run (the first is the scenario's): steady figures with intervals across them. */
  replications?: number;
}


/** `sim run`: load, validate, simulate, write the run directory atomically. */
export async function simRun(args: RunArgs, log: (s: string) => void = () => {}): Promise<RunOutcome> {
  const loaded = loadScenarioFile(args.scenario, args.set ?? [], { force: args.force });
  applySeed(loaded, args.seed);
  const plan = compile(loaded.scenario);
  const replications = checkReplications(args.replications ?? (loaded.scenario.replications > 1 ? loaded.scenario.replications : undefined));
  const dirPath = args.out ?? defaultOutDir(loaded.name, loaded.file, [...(args.set ?? []), ...(replications > 1 ? [`replications=${replications}`] : [])], args.seed);
  let chartsLine = "";
  // the rows, kept for the findings in the terminal summary (one small object per interval)
  const names = runColumns(plan).map((c) => c.name as string);
  const kept: Record<string, number>[] = [];
  let tooMany = false;
  const outcome = await runToDir(dirPath, loaded, loaded.name, Boolean(args.quiet), log, async (sink, dir, onProgress) => {
    const row = args.quiet ? sink : (values: number[]) => {
      sink(values);
      // the findings' peaks (evictions/s, queue, …) from at most KEPT_ROWS rows: beyond, they are left out
      if (tooMany) return;
      if (kept.length === KEPT_ROWS) {
        tooMany = true;
        kept.length = 0;
      } else kept.push(Object.fromEntries(names.map((n, i) => [n, values[i]])));
    };
    const opts: RunOptions = { name: loaded.name, onRow: row, onProgress, pause };
    if (!args.quiet) opts.onPrewarm = (f) => process.stderr.write(`${loaded.name}: prewarm: loading the hottest ${+(f * 100).toFixed(1)} % of the keys as a warm server holds them…\n`);
    // the other replications run in worker threads meanwhile, into replications/seed-<S>/
    const others = replications > 1 ? startReplications(args.scenario, args.set ?? [], loaded.scenario.seed, replications, dir.path("replications"), Boolean(args.force)) : null;
    let herds: CsvStream | null = null;
    if (plan.app) {
      // herds.csv: the stampedes (herds of two or more queries); classes.csv counts every herd
      const h = new CsvStream(dir.path("herds.csv"), HERD_COLUMNS.map((c) => c.name));
      herds = h;
      opts.onHerd = (herd, key) => {
        if (herd.size >= 2) h.row([herd.startUs / 1e6, herd.endUs / 1e6, plan.workload.classes[herd.cls].name, key, herd.size, herd.cause]);
      };
    }
    const result = await runPlanYielding(plan, opts, loaded.tracePath ? openTrace(plan, loaded) : undefined);
    herds?.flush();
    if (result.classes) dir.write("classes.csv", csv(CLASS_COLUMNS.map((c) => c.name), result.classes));
    if (others === null) return result.summary;
    const combined = combineReplications(result.summary, await others);
    dir.write("replications.csv", combined.table);
    return combined.summary;
  }, {
    finish: args.charts === true
      ? async (dir) => {
          // loaded on demand: jsdom takes a second to load, which commands without charts should not pay;
          // rendered into the temporary directory, so a result never lacks its charts
          const { renderRunChartsAsync } = await import("../io/render.ts");
          const files = await renderRunChartsAsync(dir.tmp, {
            warn: (m) => process.stderr.write(`sim: warning: ${m}\n`),
            pause,
            onStart: (n) => {
              if (!args.quiet) process.stderr.write(`${loaded.name}: drawing ${n} charts (SVG and PNG)…\n`);
            },
          });
          chartsLine = `charts: ${join(dirPath, "charts")}/ (${files.length / 2} charts, SVG and PNG)`;
        }
      : undefined,
    notice: (m) => log(m),
    describe: async (summary) => {
      const { runFindings } = await import("../report/findings.ts");
      const cells = Object.fromEntries(Object.entries(summary).map(([k, v]) => [k, String(v)]));
      return runFindings({ summary: cells, rows: kept, crashes: plan.events.filter((e) => e.action === EV_CRASH).length }).map((f) => f.text);
    },
  });
  if (chartsLine) log(chartsLine);
  return outcome;
}

export function applySeed(loaded: LoadedScenario, seed: number | undefined): void {
  if (seed === undefined) return;
  // yargs reads `--seed ''` (and `--seed abc`) as NaN
  if (typeof seed !== "number" || Number.isNaN(seed)) throw new InputError(`--seed: give a whole number from 0 to 4294967295`);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new InputError(`--seed ${seed}: must be a whole number from 0 to 4294967295`);
  loaded.scenario.seed = seed;
}

export const runCommand = (setCode: (c: number) => void): CommandModule<object, RunArgs> => ({
  command: "run <scenario>",
  describe: "Simulate a scenario and write timeseries.csv, summary.csv and the resolved scenario",
  builder: (y: Argv) =>
    y
      .positional("scenario", { type: "string", describe: "scenario YAML file", demandOption: true })
      .option("out", { alias: "o", type: "string", describe: "output directory (default results/<scenario name>, or results/<name>--<overrides> with --set or --seed); only a directory evictsim wrote is replaced" })
      .option("seed", SEED_OPTION_SPEC)
      .option("set", {
        type: "string",
        array: true,
        describe: "override a scenario field by its path, e.g. --set redis.maxmemory=64mb (repeatable)",
      })
      .option("quiet", { alias: "q", type: "boolean", describe: "print nothing but errors" })
      .option("force", FORCE_OPTION_SPEC)
      .option("replications", {
        alias: "r",
        type: "number",
        describe: "run N independent seeds (the scenario's, then the next N−1) in parallel: steady figures are their means with 95 % intervals across them; replications.csv lists each",
      })
      .option("charts", { type: "boolean", default: true, describe: "render charts/*.svg and *.png after the run (--no-charts to skip)" })
      .example("$0 run scenarios/late-night-pager.yaml", "the classic incident: noeviction until writes fail")
      .example("$0 run scenarios/policy-comparison.yaml --set redis.maxmemory-policy=allkeys-lfu --out results/lfu", "another policy")
      .example("$0 run scenarios/policy-comparison.yaml --seed 7 --set redis.maxmemory=64mb", "another seed and size")
      .example("$0 run scenarios/policy-comparison.yaml --replications 5", "5 seeds: steady hit ratio ± its 95 % interval across them") as Argv<RunArgs>,
  handler: async (a: ArgumentsCamelCase<RunArgs>) => {
    await simRun(a, a.quiet ? undefined : (s) => process.stdout.write(s + "\n"));
    setCode(0);
  },
});
