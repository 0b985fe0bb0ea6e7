import { join } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { InputError } from "../errors.ts";
import { loadScenarioFile, openTrace, type LoadedScenario } from "../io/scenario-file.ts";
import type { Summary } from "../metrics/columns.ts";
import { runPlan, runPlanAsync } from "../run.ts";
import { compile } from "../scenario/compile.ts";
import { writeRunDir } from "./common.ts";
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
export async function simRun(args: RunArgs, log: (s: string) => void = () => {}): Promise<RunOutcome> {
  const loaded = loadScenarioFile(args.scenario, args.set ?? []);
  applySeed(loaded, args.seed);
  const plan = compile(loaded.scenario);
  const dirPath = args.out ?? join("results", loaded.name);
  const progress = new Progress(loaded.name, Boolean(args.quiet));
  try {
    const summary = await writeRunDir(dirPath, loaded, async (row) => {
      const opts = { name: loaded.name, onRow: row, onProgress: (now: number, dur: number, n: number) => progress.update(now, dur, n) };
      const result = loaded.tracePath ? await runPlanAsync(plan, openTrace(plan, loaded), opts) : runPlan(plan, opts);
      return result.summary;
    });
    progress.done();
    const outcome = { dir: dirPath, summary, wallSeconds: progress.elapsedSeconds };
    log(infoText(outcome));
    return outcome;
  } finally {
    progress.done();
  }
}

export function applySeed(loaded: LoadedScenario, seed: number | undefined): void {
  if (seed === undefined) return;
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new InputError(`--seed ${seed}: must be a whole number from 0 to 4294967295`);
  loaded.scenario.seed = seed;
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
  handler: async (a: ArgumentsCamelCase<RunArgs>) => {
    await simRun(a, a.quiet ? undefined : (s) => process.stdout.write(s + "\n"));
    setCode(0);
  },
});
