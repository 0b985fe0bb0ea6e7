import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { simInit } from "./init.ts";
import { FORCE_OPTION_SPEC } from "./common.ts";
import { InputError } from "../errors.ts";
import { loadScenarioFile } from "../io/scenario-file.ts";
import { isMap, isScalar, isSeq, parseDocument } from "yaml";
import { compile, runColumns, runPlanYielding } from "../api.ts";
import { CHECKS, checkRisks, steadyNote, type HerdStat, type Risk } from "../plan/check.ts";
import { fmtDuration } from "../charts/format.ts";
import { pause } from "./interrupt.ts";
import { Progress } from "./progress.ts";

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
  force?: boolean;
}

export interface CheckOutcome {
  risks: Risk[];
  /** Lines that are not risks: why there is no steady state to judge the eviction rules on. */
  notes: string[];
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

/**
 * The classes whose TTL sim init inferred from INFO's avg_ttl (its comment says so: "2 × avg_ttl", or
 * the stated default when avg_ttl is 0) and that --set left as written: a mean over keys written over
 * time, not one TTL that production's keys share, so it raises no synchronized-ttl risk. This covers
 * `check --info/--conf` (the scenario sim init writes) and a scenario file written by sim init.
 */
export function inferredTtlClasses(text: string, classes: readonly { ttl?: unknown }[]): Set<number> {
  const out = new Set<number>();
  let doc;
  try {
    doc = parseDocument(text);
  } catch {
    return out;
  }
  const seq = doc.getIn(["workload", "classes"], true);
  if (!isSeq(seq)) return out;
  seq.items.forEach((item, i) => {
    if (!isMap(item)) return;
    const ttl = item.get("ttl", true);
    if (isScalar(ttl) && /\bavg_ttl\b/.test(ttl.comment ?? "") && String(classes[i]?.ttl) === String(ttl.value)) out.add(i);
  });
  return out;
}

export async function simCheck(args: CheckArgs): Promise<CheckOutcome> {
  if (!args.scenario) throw new InputError("sim check: name a scenario (sim check scenarios/x.yaml) or give --conf redis.conf --info info.txt");
  const loaded = loadScenarioFile(args.scenario, args.set ?? [], { force: args.force });
  const plan = compile(loaded.scenario);
  // the timeseries, column by column (the rules read memory, keys, and the database's columns around events)
  const names = runColumns(plan).map((c) => c.name as string);
  const cols: number[][] = names.map(() => []);
  const onRow = (row: number[]) => {
    for (let i = 0; i < cols.length; i++) cols[i].push(row[i]);
  };
  // herds by class and cause (herds.csv's rows, summed as they come)
  const herdStats = new Map<string, HerdStat>();
  const onHerd = plan.app
    ? (h: { cls: number; cause: string; size: number }) => {
        const k = `${h.cls}/${h.cause}`;
        let st = herdStats.get(k);
        if (!st) herdStats.set(k, (st = { cls: h.cls, cause: h.cause, count: 0, max: 0, queries: 0 }));
        st.count++;
        st.queries += h.size;
        if (h.size > st.max) st.max = h.size;
      }
    : undefined;
  const progress = new Progress(`check ${loaded.name}`, Boolean(args.quiet));
  const result = await runPlanYielding(plan, { name: loaded.name, onRow, onHerd, pause, onProgress: (n, d, k) => progress.update(n, d, k) });
  progress.done();
  const summary = result.summary;
  const series = Object.fromEntries(names.map((name, i) => [name, cols[i]]));
  const memory = cols[names.indexOf("time_s")].map((t, i) => ({ t, used: cols[names.indexOf("used_memory")][i] }));
  const inferredTtl = inferredTtlClasses(readFileSync(loaded.file, "utf8"), (loaded.scenario.workload.classes ?? []) as { ttl?: unknown }[]);
  const input = { scenario: loaded.scenario, plan, summary, memory, series, classes: result.classes, herds: plan.app ? [...herdStats.values()] : undefined, inferredTtl };
  const risks = checkRisks(input);
  const note = steadyNote(input);
  const notes = note ? [note] : [];
  const high = risks.filter((r) => r.severity === "high").length;
  const warm = Number(summary.warmup_s);
  const steadyWords = summary.steady_state === "reached" ? `; steady state ${warm > 0 ? `after a ${fmtDuration(warm)} warm-up` : "from the start"}` : "";
  const lines = [
    `# sim check: ${loaded.name} (${CHECKS.length} checks, ${fmtDuration(Number(summary.duration_s))} simulated${steadyWords})`,
    ...risks.map((r) => `${r.severity.toUpperCase().padEnd(6)} ${r.id}: ${r.message}`),
    ...notes.map((x) => `note   ${x}`),
    risks.length === 0 ? "ok: no risk found" : `${high} high, ${risks.length - high} medium`,
  ];
  return { risks, notes, text: lines.join("\n") };
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
      .option("force", FORCE_OPTION_SPEC)
      .example("$0 check scenarios/late-night-pager.yaml", "flags noeviction + sessions without TTL, with the time writes fail")
      .example("$0 check --conf /etc/redis/redis.conf --info info.txt", "production's settings and traffic, as sim init reads them")
      .epilogue("Exit codes: 0 no high risk, 1 a high risk (gate a deploy on it), 2 bad input.") as Argv<CheckArgs>,
  handler: async (a: ArgumentsCamelCase<CheckArgs>) => {
    const r = await simCheckAsync(a);
    if (!a.quiet) process.stdout.write(r.text + "\n");
    setCode(r.risks.some((x) => x.severity === "high") ? 1 : 0);
  },
});
