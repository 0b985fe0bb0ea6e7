import { join } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { InputError } from "../errors.ts";
import { loadScenarioFile } from "../io/scenario-file.ts";
import { csv, RunDir } from "../io/output.ts";
import { summaryColumns, type Summary } from "../metrics/columns.ts";
import { niceSize, searchMaxmemory, type PlanResult } from "../plan/planner.ts";
import { improvesWithMemory, meets, metricValue, parseTarget, type Target } from "../plan/targets.ts";
import { POLICY_NAMES } from "../redis/policies.ts";
import { runPlanYielding } from "../run.ts";
import { pause } from "./interrupt.ts";
import { Progress } from "./progress.ts";
import { compile } from "../scenario/compile.ts";
import type { Scenario } from "../scenario/schema.ts";
import { bytesToHuman } from "../scenario/units.ts";

/*
 * `sim plan`: the smallest maxmemory that meets every target, with the evidence a capacity review
 * wants: the curve around it, the host RAM to provision, alert thresholds and the redis.conf lines.
 */

export interface PlanArgs {
  scenario: string;
  target: string[];
  policy?: string[];
  set?: string[];
  out?: string;
  quiet?: boolean;
}

export interface PlanOutcome {
  best: PlanResult | null;
  results: PlanResult[];
  text: string;
}

const REDIS_POLICIES = ["noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"];

/** redis.conf spelling of a size: 123mb, 512kb. */
export function confSize(bytes: number): string {
  if (bytes % (1024 * 1024 * 1024) === 0) return `${bytes / 1024 ** 3}gb`;
  if (bytes % (1024 * 1024) === 0) return `${bytes / 1024 ** 2}mb`;
  if (bytes % 1024 === 0) return `${bytes / 1024}kb`;
  return String(bytes);
}

export async function simPlanRun(args: PlanArgs): Promise<PlanOutcome> {
  const loaded = loadScenarioFile(args.scenario, args.set ?? []);
  const base = loaded.scenario;
  if (base.workload.trace) throw new InputError(`${args.scenario}: sim plan needs a generated workload (a trace is replayed as is; use sim sweep for traces)`);
  const known = summaryColumns(base.database !== undefined, compile(base).persistence !== undefined).map((c) => c.name);
  const targets: Target[] = [];
  for (const t of args.target) {
    const p = parseTarget(t, known);
    if (typeof p === "string") throw new InputError(p);
    if (!improvesWithMemory(p)) throw new InputError(`--target ${JSON.stringify(t)}: more memory cannot make ${p.metric} ${p.op === ">" || p.op === ">=" ? "larger" : "smaller"}; sim plan searches for the smallest maxmemory that meets the targets`);
    targets.push(p);
  }
  if (targets.length === 0) throw new InputError("sim plan: give at least one --target, e.g. --target 'hit_ratio>=0.95'");
  const policies = (args.policy ?? [base.redis["maxmemory-policy"]]).flatMap((p) => (p === "any" ? REDIS_POLICIES : [p]));
  for (const p of policies) if (!POLICY_NAMES.includes(p as never)) throw new InputError(`--policy ${JSON.stringify(p)} is not one of ${POLICY_NAMES.join(", ")}, any`);

  const cache = new Map<string, Summary>();
  const progress = new Progress(`plan ${loaded.name}`, Boolean(args.quiet));
  let runs = 0;
  const run = async (maxmemory: number, policy: string): Promise<Summary> => {
    const key = `${policy}@${maxmemory}`;
    const hit = cache.get(key);
    if (hit) return hit;
    const sc = structuredClone(base) as Scenario;
    sc.redis.maxmemory = maxmemory;
    sc.redis["maxmemory-policy"] = policy;
    runs++;
    const label = `run ${runs}: ${policy} at ${maxmemory > 0 ? bytesToHuman(maxmemory) : "no limit"}`;
    const s = (await runPlanYielding(compile(sc), { name: loaded.name, pause, onProgress: (n, d, k) => progress.update(n, d, k, label) })).summary;
    cache.set(key, s);
    return s;
  };
  // bounds: no limit gives the dataset's peak (the most memory can buy); 1 MiB is below any dataset
  const unlimited = await run(0, policies[0]);
  const hi = niceSize(Math.ceil(Number(unlimited.used_memory_peak) * 1.05));
  const lo = 1024 * 1024;
  const results: PlanResult[] = [];
  for (const p of policies) results.push(await searchMaxmemory(run, p, targets, lo, hi));
  progress.done();
  const ok = results.filter((r) => r.maxmemory > 0).sort((a, b) => a.maxmemory - b.maxmemory);
  const best = ok[0] ?? null;
  const lines: string[] = [];
  const say = (s = "") => lines.push(s);
  say(`# sim plan: ${loaded.name} — targets: ${targets.map((t) => t.text).join(", ")}`);
  if (best === null) {
    say(`No maxmemory up to ${bytesToHuman(hi)} (the whole dataset) meets the targets under ${policies.join(", ")}.`);
    say(`With no limit: ${targets.map((t) => `${t.metric} = ${metricValue(unlimited, t.metric)}`).join(", ")} — more memory cannot help; change the workload, the TTLs or the targets.`);
    return { best, results, text: lines.join("\n") };
  }
  const m = best.maxmemory;
  say(`Recommendation: maxmemory ${confSize(m)} (${bytesToHuman(m)}) with maxmemory-policy ${best.policy}.`);
  if (results.length > 1) {
    say("");
    say("Smallest passing maxmemory per policy:");
    for (const r of results) say(`  ${r.policy.padEnd(16)} ${r.maxmemory > 0 ? confSize(r.maxmemory) : `none up to ${bytesToHuman(hi)}`}`);
  }
  // the curve around it
  say("");
  say(`Evidence (${best.policy}; the same seed at every size):`);
  const metrics = [...new Set(["hit_ratio", ...targets.map((t) => t.metric)])];
  say(`  ${"maxmemory".padEnd(12)}${metrics.map((x) => x.padStart(22)).join("")}  targets`);
  const curve: (string | number)[][] = [];
  for (const f of [0.5, 0.75, 0.9, 0.95, 1, 1.1, 1.25, 1.5]) {
    const size = Math.round(m * f);
    const s = await run(size, best.policy);
    const pass = targets.every((t) => meets(s, t));
    curve.push([f, size, best.policy, ...metrics.map((x) => metricValue(s, x)), pass ? "pass" : "fail"]);
    say(`  ${`${bytesToHuman(size)}${f === 1 ? " *" : ""}`.padEnd(12)}${metrics.map((x) => String(metricValue(s, x)).padStart(22)).join("")}  ${pass ? "pass" : "fail"}`);
  }
  // host RAM
  const s = best.summary!;
  const peak = Number(s.used_memory_peak);
  const frag = base.host?.["fragmentation-ratio"] ?? 1.1;
  const persistence = compile(base).persistence;
  const cow = Number(s.cow_peak ?? 0);
  const cowHeadroom = persistence ? Math.max(cow, Math.round(0.25 * m)) : 0;
  const buffers = 64 * 1024 * 1024;
  const host = Math.round(peak * frag) + cowHeadroom + buffers;
  say("");
  say("Host RAM to provision:");
  say(`  used memory at peak            ${bytesToHuman(peak)}`);
  say(`  × fragmentation ${frag.toFixed(2)}${base.host?.["fragmentation-ratio"] === undefined ? " (typical jemalloc; set host.fragmentation-ratio from your INFO mem_fragmentation_ratio)" : ""}`);
  if (persistence)
    say(`  + copy-on-write during BGSAVE   ${bytesToHuman(cowHeadroom)} (${cow > 0 ? `simulated peak ${bytesToHuman(cow)}, at least` : "no save ran in the simulated time: assumed"} 25 % of maxmemory, as ElastiCache reserves)`);
  say(`  + client and replication buffers ${bytesToHuman(buffers)} (allowance: one replica's client-output-buffer-limit soft limit)`);
  say(`  = ${bytesToHuman(host)} (${(host / 1024 ** 3).toFixed(2)} GiB)`);
  say("");
  say("Alerts:");
  say(`  warn at used_memory ≥ ${bytesToHuman(Math.round(m * 0.7))} (70 % of maxmemory), page at ≥ ${bytesToHuman(Math.round(m * 0.85))} (85 %)`);
  say("");
  say("redis.conf:");
  say(`  maxmemory ${confSize(m)}`);
  say(`  maxmemory-policy ${best.policy}`);
  if (args.out) {
    // written like a run directory: only a directory of ours is replaced, never half-written
    const dir = new RunDir(args.out, "plan", { scenario: loaded.name });
    const cols = summaryColumns(base.database !== undefined, persistence !== undefined).map((c) => c.name);
    const runs = results.flatMap((r) => r.runs);
    dir.write("plan-runs.csv", csv(["maxmemory", "policy", "pass", ...cols], runs.map((r) => [r.maxmemory, r.policy, r.pass ? 1 : 0, ...cols.map((c) => (r.summary as Record<string, string | number>)[c] ?? "")])));
    dir.write("plan-curve.csv", csv(["factor", "maxmemory", "policy", ...metrics, "targets"], curve));
    dir.write("plan.txt", lines.join("\n") + "\n");
    dir.commit();
  }
  return { best, results, text: lines.join("\n") };
}

export const planCommand = (setCode: (c: number) => void): CommandModule<object, PlanArgs> => ({
  command: "plan <scenario>",
  describe: "Find the smallest maxmemory that meets your targets, with the evidence and the redis.conf lines",
  builder: (y: Argv) =>
    y
      .positional("scenario", { type: "string", describe: "scenario YAML file (its maxmemory is what is searched)", demandOption: true })
      .option("target", { alias: "t", type: "string", array: true, demandOption: true, describe: "a target on a summary metric: 'hit_ratio>=0.95', 'oom_rejected_writes==0', 'p99_ms<5' (repeatable)" })
      .option("policy", { type: "string", array: true, describe: "maxmemory-policy to plan for (repeatable; 'any' = all eight); default: the scenario's" })
      .option("set", { type: "string", array: true, describe: "override a scenario field, as for sim run" })
      .option("out", { alias: "o", type: "string", describe: "also write plan.txt, plan-curve.csv and plan-runs.csv here" })
      .option("quiet", { alias: "q", type: "boolean", describe: "print nothing but errors" })
      .example("$0 plan scenarios/policy-comparison.yaml --target 'hit_ratio>=0.8'", "how much memory for an 80 % hit ratio")
      .example("$0 plan scenarios/policy-comparison.yaml -t 'hit_ratio>=0.8' -t 'oom_rejected_writes==0' --policy any", "and which policy needs least") as Argv<PlanArgs>,
  handler: async (a: ArgumentsCamelCase<PlanArgs>) => {
    const r = await simPlanRun(a);
    if (!a.quiet) process.stdout.write(r.text + "\n");
    setCode(r.best ? 0 : 2);
  },
});
