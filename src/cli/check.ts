import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { InputError } from "../errors.ts";
import { loadScenarioFile } from "../io/scenario-file.ts";
import { TIMESERIES_COLUMNS } from "../metrics/columns.ts";
import { CHECKS, checkRisks, type Risk } from "../plan/check.ts";
import { runPlan } from "../run.ts";
import { compile } from "../scenario/compile.ts";

/*
 * `sim check`: runs the scenario and reports each production risk in one line with its evidence.
 * Exit code 1 when any risk is high, so it can gate a deploy (0: none high; 2: bad input).
 */

export interface CheckArgs {
  scenario?: string;
  set?: string[];
  quiet?: boolean;
}

export interface CheckOutcome {
  risks: Risk[];
  text: string;
}

export function simCheck(args: CheckArgs): CheckOutcome {
  if (!args.scenario) throw new InputError("sim check: name a scenario (sim check scenarios/x.yaml)");
  const loaded = loadScenarioFile(args.scenario, args.set ?? []);
  const plan = compile(loaded.scenario);
  const memory: { t: number; used: number }[] = [];
  const ti = TIMESERIES_COLUMNS.findIndex((c) => c.name === "time_s");
  const ui = TIMESERIES_COLUMNS.findIndex((c) => c.name === "used_memory");
  const summary = runPlan(plan, { name: loaded.name, onRow: (row) => memory.push({ t: row[ti], used: row[ui] }) }).summary;
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
  command: "check <scenario>",
  describe: "Report the production risks of a setup (one line each, with evidence); exit 1 if any is high",
  builder: (y: Argv) =>
    y
      .positional("scenario", { type: "string", describe: "scenario YAML file (simulated for its duration)" })
      .option("set", { type: "string", array: true, describe: "override a scenario field, as for sim run" })
      .option("quiet", { alias: "q", type: "boolean", describe: "print nothing; only the exit code" })
      .example("$0 check scenarios/late-night-pager.yaml", "flags noeviction + sessions without TTL, with the time writes fail")
      .epilogue("Exit codes: 0 no high risk, 1 a high risk (gate a deploy on it), 2 bad input.") as Argv<CheckArgs>,
  handler: (a: ArgumentsCamelCase<CheckArgs>) => {
    const r = simCheck(a);
    if (!a.quiet) process.stdout.write(r.text + "\n");
    setCode(r.risks.some((x) => x.severity === "high") ? 1 : 0);
  },
});
