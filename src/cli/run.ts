import { join } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { InputError } from "../errors.ts";
import { CsvTraceSource } from "../io/trace-csv.ts";
import { CsvStream, csv, RunDir } from "../io/output.ts";
import { loadScenarioFile, resolvedYaml } from "../io/scenario-file.ts";
import { SUMMARY_COLUMNS, TIMESERIES_COLUMNS, type Summary } from "../metrics/columns.ts";
import { runPlan } from "../run.ts";
import { compile } from "../scenario/compile.ts";
import { bytesToHuman } from "../scenario/units.ts";
import { Progress } from "./progress.ts";

export interface RunArgs {
  scenario: string;
  out?: string;
  seed?: number;
  set?: string[];
  quiet?: boolean;
}

export interface RunOutcome {
  dir: string;
  summary: Summary;
  wallSeconds: number;
}

/** `sim run`: load, validate, simulate, write the run directory atomically. */
export function simRun(args: RunArgs, log: (s: string) => void = () => {}): RunOutcome {
  const loaded = loadScenarioFile(args.scenario, args.set ?? []);
  if (args.seed !== undefined) {
    if (!Number.isInteger(args.seed) || args.seed < 0 || args.seed >= 2 ** 32) throw new InputError(`--seed ${args.seed}: must be a whole number from 0 to 4294967295`);
    loaded.scenario.seed = args.seed;
  }
  const plan = compile(loaded.scenario);
  const dirPath = args.out ?? join("results", loaded.name);
  const dir = new RunDir(dirPath);
  const progress = new Progress(loaded.name, Boolean(args.quiet));
  const onSignal = () => {
    dir.abandon();
    process.stderr.write(`\nsim: interrupted; no result written\n`);
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const ts = new CsvStream(dir.path("timeseries.csv"), TIMESERIES_COLUMNS.map((c) => c.name));
    const result = runPlan(plan, {
      name: loaded.name,
      source: loaded.tracePath ? (reg) => new CsvTraceSource(loaded.tracePath!, plan.workload.trace!.mode, reg) : undefined,
      onRow: (row) => ts.row(row),
      onProgress: (now, dur, n) => progress.update(now, dur, n),
    });
    ts.flush();
    progress.done();
    const s = result.summary;
    dir.write("summary.csv", csv(SUMMARY_COLUMNS.map((c) => c.name), [SUMMARY_COLUMNS.map((c) => s[c.name])]));
    dir.write("scenario.resolved.yaml", resolvedYaml(loaded, dirPath, loaded.scenario.seed));
    dir.commit();
    const outcome = { dir: dirPath, summary: s, wallSeconds: progress.elapsedSeconds };
    log(infoText(outcome));
    return outcome;
  } catch (e) {
    progress.done();
    dir.abandon();
    throw e;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** A short INFO-style summary, as `redis-cli INFO` would print the same fields. */
export function infoText(o: RunOutcome): string {
  const s = o.summary;
  const n = (k: keyof Summary) => Number(s[k]);
  const lines = [
    `# evictsim: ${s.scenario} (seed ${s.seed}, ${s.duration_s}s simulated in ${o.wallSeconds.toFixed(1)}s)`,
    "# Memory",
    `used_memory:${s.used_memory}`,
    `used_memory_human:${bytesToHuman(n("used_memory"))}`,
    `used_memory_peak:${s.used_memory_peak}`,
    `used_memory_peak_human:${bytesToHuman(n("used_memory_peak"))}`,
    `maxmemory:${s.maxmemory}`,
    `maxmemory_human:${bytesToHuman(n("maxmemory"))}`,
    `maxmemory_policy:${s.maxmemory_policy}`,
    "# Stats",
    `total_commands_processed:${s.total_commands_processed}`,
    `keyspace_hits:${s.keyspace_hits}`,
    `keyspace_misses:${s.keyspace_misses}`,
    `hit_ratio:${s.hit_ratio}`,
    `evicted_keys:${s.evicted_keys}`,
    `expired_keys:${s.expired_keys}`,
    `oom_rejected_writes:${s.oom_rejected_writes}${s.first_oom_s !== "" ? ` (first at ${s.first_oom_s}s)` : ""}`,
    "# Keyspace",
    `keys=${s.keys},expires=${s.expires}`,
    "",
    `results: ${o.dir}/ (timeseries.csv, summary.csv, scenario.resolved.yaml)`,
  ];
  return lines.join("\n");
}

export const runCommand = (setCode: (c: number) => void): CommandModule<object, RunArgs> => ({
  command: "run <scenario>",
  describe: "Simulate a scenario and write timeseries.csv, summary.csv and the resolved scenario",
  builder: (y: Argv) =>
    y
      .positional("scenario", { type: "string", describe: "scenario YAML file", demandOption: true })
      .option("out", { alias: "o", type: "string", describe: "output directory (default results/<scenario name>)" })
      .option("seed", { type: "number", describe: "override the scenario's seed" })
      .option("set", {
        type: "string",
        array: true,
        describe: "override a scenario field by its path, e.g. --set redis.maxmemory=64mb (repeatable)",
      })
      .option("quiet", { alias: "q", type: "boolean", describe: "print nothing but errors" })
      .example("$0 run scenarios/late-night-pager.yaml", "the classic incident: noeviction until writes fail")
      .example("$0 run scenarios/policy-comparison.yaml --set redis.maxmemory-policy=allkeys-lfu --out results/lfu", "another policy")
      .example("$0 run scenarios/policy-comparison.yaml --seed 7 --set redis.maxmemory=64mb", "another seed and size") as Argv<RunArgs>,
  handler: (a: ArgumentsCamelCase<RunArgs>) => {
    const o = simRun(a, a.quiet ? undefined : (s) => process.stdout.write(s + "\n"));
    setCode(0);
    void o;
  },
});
