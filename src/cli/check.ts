import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { simInit } from "./init.ts";
import { InputError } from "../errors.ts";
import { loadScenarioFile } from "../io/scenario-file.ts";
import { TIMESERIES_COLUMNS } from "../metrics/columns.ts";
import { CHECKS, checkRisks, type Risk } from "../plan/check.ts";
import { runPlanYielding } from "../run.ts";
import { pause } from "./interrupt.ts";
import { Progress } from "./progress.ts";
import { compile } from "../scenario/compile.ts";

/*
 * `sim check`: runs the scenario and reports each production risk in one line with its evidence.
 * Exit code 1 when any risk is high, so it can gate a deploy (0: none high; 2: bad input).
 */

export interface CheckArgs {
  scenario?: string;
  /** Instead of a scenario: production's redis.conf and INFO all (and MEMORY USAGE samples), as for sim init. */
  conf?: string;
  info?: string;
  sizes?: string;
  /** How long to simulate a scenario made from --conf/--info (default 1h). */
  duration?: string;
  set?: string[];
  quiet?: boolean;
}

export interface CheckOutcome {
  risks: Risk[];
  text: string;
}

/**
 * `--conf/--info`: the scenario sim init would write (every inferred value traceable in it), plus the
 * host's RAM from INFO's total_system_memory, in a temporary file.
 */
async function scenarioFromProduction(args: CheckArgs, dir: string): Promise<string> {
  const file = join(dir, "production.yaml");
  await simInit({ conf: args.conf, info: args.info, sizes: args.sizes, out: file, duration: args.duration ?? "1h", force: true, name: "production" });
  if (args.info) {
    const m = /^total_system_memory:(\d+)\s*$/m.exec(readFileSync(args.info, "utf8"));
    if (m && Number(m[1]) > 0) appendFileSync(file, `\nhost:\n  memory: ${m[1]}                    # from INFO memory total_system_memory\n`);
  }
  return file;
}

export async function simCheckAsync(args: CheckArgs): Promise<CheckOutcome> {
  if (args.scenario && (args.conf || args.info)) throw new InputError("sim check: give a scenario, or --conf/--info, not both");
  if (!args.scenario && !args.conf && !args.info) throw new InputError("sim check: name a scenario (sim check scenarios/x.yaml) or give --conf redis.conf --info info.txt");
  if (args.scenario) return simCheck(args);
  // the scenario sim init would write lives in a temporary directory for the check only
  const dir = mkdtempSync(join(tmpdir(), "evictsim-check-"));
  try {
    return await simCheck({ ...args, scenario: await scenarioFromProduction(args, dir) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function simCheck(args: CheckArgs): Promise<CheckOutcome> {
  if (!args.scenario) throw new InputError("sim check: name a scenario (sim check scenarios/x.yaml) or give --conf redis.conf --info info.txt");
  const loaded = loadScenarioFile(args.scenario, args.set ?? []);
  const plan = compile(loaded.scenario);
  const memory: { t: number; used: number }[] = [];
  const ti = TIMESERIES_COLUMNS.findIndex((c) => c.name === "time_s");
  const ui = TIMESERIES_COLUMNS.findIndex((c) => c.name === "used_memory");
  const progress = new Progress(`check ${loaded.name}`, Boolean(args.quiet));
  const onRow = (row: number[]) => memory.push({ t: row[ti], used: row[ui] });
  const summary = (await runPlanYielding(plan, { name: loaded.name, onRow, pause, onProgress: (n, d, k) => progress.update(n, d, k) })).summary;
  progress.done();
  const risks = checkRisks({ scenario: loaded.scenario, plan, summary, memory });
  const high = risks.filter((r) => r.severity === "high").length;
  const lines = [
    `# sim check: ${loaded.name} (${CHECKS.length} checks, ${summary.duration_s} s simulated)`,
    ...risks.map((r) => `${r.severity.toUpperCase().padEnd(6)} ${r.id}: ${r.message}`),
    risks.length === 0 ? "ok: no risk found" : `${high} high, ${risks.length - high} medium`,
  ];
  return { risks, text: lines.join("\n") };
}

export const checkCommand = (setCode: (c: number) => void): CommandModule<object, CheckArgs> => ({
  command: "check [scenario]",
  describe: "Report the production risks of a setup (one line each, with evidence); exit 1 if any is high",
  builder: (y: Argv) =>
    y
      .positional("scenario", { type: "string", describe: "scenario YAML file (simulated for its duration)" })
      .option("conf", { type: "string", describe: "instead of a scenario: production's redis.conf (with --info)" })
      .option("info", { type: "string", describe: "instead of a scenario: the text of INFO all from production" })
      .option("sizes", { type: "string", describe: "with --conf/--info: MEMORY USAGE samples (as for sim init)" })
      .option("duration", { type: "string", describe: "with --conf/--info: how long to simulate (default 1h)" })
      .option("set", { type: "string", array: true, describe: "override a scenario field, as for sim run" })
      .option("quiet", { alias: "q", type: "boolean", describe: "print nothing; only the exit code" })
      .example("$0 check scenarios/late-night-pager.yaml", "flags noeviction + sessions without TTL, with the time writes fail")
      .example("$0 check --conf /etc/redis/redis.conf --info info.txt", "production's settings and traffic, as sim init reads them")
      .epilogue("Exit codes: 0 no high risk, 1 a high risk (gate a deploy on it), 2 bad input.") as Argv<CheckArgs>,
  handler: async (a: ArgumentsCamelCase<CheckArgs>) => {
    const r = await simCheckAsync(a);
    if (!a.quiet) process.stdout.write(r.text + "\n");
    setCode(r.risks.some((x) => x.severity === "high") ? 1 : 0);
  },
});
