import { join } from "node:path";
import type { ArgumentsCamelCase, Argv, CommandModule } from "yargs";
import { InputError } from "../errors.ts";
import { loadScenarioFile } from "../io/scenario-file.ts";
import { csv, RunDir } from "../io/output.ts";
import type { Summary } from "../metrics/columns.ts";
import { niceSize, searchMaxmemory, type PlanResult } from "../plan/planner.ts";
import { improvesWithMemory, meets, metricValue, parseTarget, type Target } from "../plan/targets.ts";
import { POLICY_NAMES, REDIS_POLICY_NAMES } from "../redis/policies.ts";
import { compile, runPlanYielding, runSummaryColumns } from "../api.ts";
import { pause, settle } from "./interrupt.ts";
import { FORCE_OPTION_SPEC } from "./common.ts";
import { Progress } from "./progress.ts";
import type { Scenario } from "../scenario/schema.ts";
import { bytesToHuman } from "../units.ts";

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
  force?: boolean;
}

export interface PlanOutcome {
  best: PlanResult | null;
  results: PlanResult[];
  text: string;
}

/** redis.conf spelling of a size: 123mb, 512kb. */
export function confSize(bytes: number): string {
  if (bytes % (1024 * 1024 * 1024) === 0) return `${bytes / 1024 ** 3}gb`;
  if (bytes % (1024 * 1024) === 0) return `${bytes / 1024 ** 2}mb`;
  if (bytes % 1024 === 0) return `${bytes / 1024}kb`;
  return String(bytes);
}

export async function simPlanRun(args: PlanArgs): Promise<PlanOutcome> {
  const loaded = loadScenarioFile(args.scenario, args.set ?? [], { force: args.force });
  const base = loaded.scenario;
  if (base.workload.trace) throw new InputError(`${args.scenario}: sim plan needs a generated workload (a trace is replayed as is; use sim sweep for traces)`);
  const known = runSummaryColumns(compile(base)).map((c) => c.name);
  const targets: (Target & { asked: string })[] = [];
  for (const t of args.target) {
    const p = parseTarget(t, known);
    if (typeof p === "string") throw new InputError(p);
    if (!improvesWithMemory(p)) throw new InputError(`--target ${JSON.stringify(t)}: more memory cannot make ${p.metric} ${p.op === ">" || p.op === ">=" ? "larger" : "smaller"}; sim plan searches for the smallest maxmemory that meets the targets`);
    // judged in the steady state (after the warm-up) where the figure has a steady-state column
    const steady = STEADY_OF[p.metric];
    targets.push({ ...p, asked: p.metric, metric: steady !== undefined && known.includes(steady) ? steady : p.metric });
  }
  if (targets.length === 0) throw new InputError("sim plan: give at least one --target, e.g. --target 'hit_ratio>=0.95'");
  const policies = (args.policy ?? [base.redis["maxmemory-policy"]]).flatMap((p) => (p === "any" ? REDIS_POLICY_NAMES : [p]));
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
  const lines: string[] = [];
  const say = (s = "") => lines.push(s);
  say(`# sim plan: ${loaded.name} — targets: ${targets.map((t) => t.text).join(", ")}`);
  const steadyTargets = targets.filter((t) => t.metric !== t.asked);
  if (steadyTargets.length > 0)
    say(`(judged on steady-state figures after the warm-up: ${steadyTargets.map((t) => `${t.asked} → ${t.metric}`).join(", ")}; each with its 95 % interval)`);
  const full = await run(hi, policies[0]);
  // a run that never settles has no steady figure: it cannot show that a size meets a steady target
  // (its whole-run figure would include the cold start), so it does not pass
  const judge = (sm: Summary) => targets.every((t) => meets(sm, t));
  // the whole dataset in memory is the exception: a cache that never evicts keeps filling with the
  // workload's tail and rarely settles; more memory only helps, so there its whole-run figure (cold
  // start included, pessimistic) may show that the targets can be met at all
  const judgeTop = (sm: Summary) => targets.every((t) => meets(sm, t) || (sm.steady_state !== "reached" && t.metric !== t.asked && meets(sm, { ...t, metric: t.asked })));
  const results: PlanResult[] = [];
  for (const p of policies) results.push(await searchMaxmemory(run, p, targets, lo, hi, 0.01, (s) => withinNoise(s, targets), judge, judgeTop, (a, b) => indistinguishable(a, b, targets)));
  progress.done();
  // an answer whose run never settled (only the whole dataset's run may pass that way) is no answer
  const ok = results.filter((r) => r.maxmemory > 0 && (steadyTargets.length === 0 || r.summary?.steady_state === "reached")).sort((a, b) => a.maxmemory - b.maxmemory);
  const best = ok[0] ?? null;
  if (best === null) {
    say(`No maxmemory up to ${bytesToHuman(hi)} (the whole dataset) meets the targets under ${policies.join(", ")}.`);
    if (steadyTargets.length > 0 && full.steady_state !== "reached")
      say(
        `Cannot tell whether more memory would help: with the whole dataset in memory the run reaches no steady state (${full.steady_note}); ` +
          `its whole-run ${targets.map((t) => `${t.asked} ${figure(full, t.asked)}`).join(", ")} includes the cold start. Lengthen the run (--set duration=…) until it settles.`,
      );
    else
      say(`With the whole dataset in memory: ${targets.map((t) => `${t.metric} = ${figure(full, t.metric)}`).join(", ")} — more memory cannot help; change the workload, the TTLs or the targets.`);
    return { best, results, text: lines.join("\n") };
  }
  const m = best.maxmemory;
  say(`Recommendation: maxmemory ${confSize(m)} (${bytesToHuman(m)}) with maxmemory-policy ${best.policy}.`);
  say(`At that size: ${targets.map((t) => `${t.metric} ${figure(best.summary!, t.metric)}`).join(", ")}${targets.some((t) => hasCi(best.summary!, t.metric)) ? " (± 95 % interval, batch means)" : ""}.`);
  if (best.noiseFrom !== undefined)
    say(
      `Between ${bytesToHuman(best.noiseFrom)} and ${bytesToHuman(m)} the boundary is within the simulation's noise (95 % intervals): ` +
        `a smaller step would be guessing, so the plan keeps the size that passes clearly; longer runs or --replications narrow the band.`,
    );
  if (results.length > 1) {
    say("");
    say("Smallest passing maxmemory per policy:");
    for (const r of results) say(`  ${r.policy.padEnd(16)} ${r.maxmemory > 0 ? confSize(r.maxmemory) : `none up to ${bytesToHuman(hi)}`}`);
  }
  // the curve around it
  say("");
  say(`Evidence (${best.policy}; the same seed at every size):`);
  const metrics = [...new Set([steadyTargets.length > 0 ? "steady_hit_ratio" : "hit_ratio", ...targets.map((t) => t.metric)])];
  say(`  ${"maxmemory".padEnd(12)}${metrics.map((x) => x.padStart(22)).join("")}  targets`);
  const curve: (string | number)[][] = [];
  for (const f of [0.5, 0.75, 0.9, 0.95, 1, 1.1, 1.25, 1.5]) {
    const size = Math.round(m * f);
    const s = await run(size, best.policy);
    const pass = judge(s);
    curve.push([f, size, best.policy, ...metrics.map((x) => metricValue(s, x)), pass ? "pass" : "fail"]);
    say(`  ${`${bytesToHuman(size)}${f === 1 ? " *" : ""}`.padEnd(12)}${metrics.map((x) => figure(s, x).padStart(22)).join("")}  ${pass ? "pass" : "fail"}`);
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
  for (const a of alertsFor(best.policy, m, s, targets)) say(`  ${a}`);
  say("");
  say("redis.conf:");
  say(`  maxmemory ${confSize(m)}`);
  say(`  maxmemory-policy ${best.policy}`);
  if (args.out) {
    // written like a run directory: only a directory of ours is replaced, never half-written
    const dir = new RunDir(args.out, "plan", { scenario: loaded.name });
    const cols = runSummaryColumns(compile(base)).map((c) => c.name);
    const runs = results.flatMap((r) => r.runs);
    dir.write("plan-runs.csv", csv(["maxmemory", "policy", "pass", ...cols], runs.map((r) => [r.maxmemory, r.policy, r.pass ? 1 : 0, ...cols.map((c) => (r.summary as Record<string, string | number>)[c] ?? "")])));
    dir.write("plan-curve.csv", csv(["factor", "maxmemory", "policy", ...metrics, "targets"], curve));
    dir.write("plan.txt", lines.join("\n") + "\n");
    await settle();
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
      .option("force", FORCE_OPTION_SPEC)
      .example("$0 plan scenarios/policy-comparison.yaml --target 'hit_ratio>=0.8'", "how much memory for an 80 % hit ratio")
      .example("$0 plan scenarios/policy-comparison.yaml -t 'hit_ratio>=0.8' -t 'oom_rejected_writes==0' --policy any", "and which policy needs least") as Argv<PlanArgs>,
  handler: async (a: ArgumentsCamelCase<PlanArgs>) => {
    const r = await simPlanRun(a);
    if (!a.quiet) process.stdout.write(r.text + "\n");
    setCode(r.best ? 0 : 2);
  },
});

/** Where the plan reads a target: the steady-state column of a whole-run figure, when there is one. */
const STEADY_OF: Record<string, string> = { hit_ratio: "steady_hit_ratio", latency_p50_ms: "steady_p50_ms", latency_p99_ms: "steady_p99_ms" };

/** A figure with its 95 % half-width where the summary has one: "0.806433 ± 0.000341". */
function figure(s: Summary, metric: string): string {
  const v = metricValue(s, metric);
  if (Number.isNaN(v)) {
    // no steady state at this size: the whole run's figure, marked
    const whole = Object.keys(STEADY_OF).find((k) => STEADY_OF[k] === metric);
    return whole !== undefined && Number.isFinite(metricValue(s, whole)) ? `${metricValue(s, whole)} (whole run)` : "—";
  }
  const ci = metricValue(s, `${metric}_ci95`);
  return Number.isFinite(ci) ? `${v} ± ${ci}` : String(v);
}

const hasCi = (s: Summary, metric: string) => Number.isFinite(metricValue(s, `${metric}_ci95`));

/** Whether two runs' figures on the targets differ by less than their 95 % intervals (a smaller step is noise). */
export function indistinguishable(a: Summary, b: Summary, targets: readonly Target[]): boolean {
  return targets.some((t) => {
    const va = metricValue(a, t.metric), vb = metricValue(b, t.metric);
    const ca = metricValue(a, `${t.metric}_ci95`), cb = metricValue(b, `${t.metric}_ci95`);
    return [va, vb, ca, cb].every(Number.isFinite) && Math.abs(va - vb) <= ca + cb;
  });
}

/** Whether a run's figure is too close to a target to call: its 95 % interval covers the target value. */
export function withinNoise(s: Summary, targets: readonly Target[]): boolean {
  return targets.some((t) => {
    const v = metricValue(s, t.metric), ci = metricValue(s, `${t.metric}_ci95`);
    return Number.isFinite(v) && Number.isFinite(ci) && ci > 0 && Math.abs(v - t.value) <= ci;
  });
}

/**
 * Alerts that fit the policy. Under an eviction policy used_memory sits at maxmemory by design, so a
 * threshold on it would page all day: what matters is evictions above the steady rate (the working set
 * grew), the hit ratio falling below what the plan promised, and memory that is not cache (fragmentation,
 * used_memory above maxmemory: evictions not keeping up). Under noeviction, memory is the alarm: writes
 * fail at maxmemory.
 */
export function alertsFor(policy: string, maxmemory: number, s: Summary, targets: readonly Target[]): string[] {
  const out: string[] = [];
  const evicts = policy !== "noeviction";
  if (!evicts) {
    out.push(`warn at used_memory ≥ ${bytesToHuman(Math.round(maxmemory * 0.7))} (70 % of maxmemory), page at ≥ ${bytesToHuman(Math.round(maxmemory * 0.85))} (85 %): writes fail with -OOM at maxmemory`);
    out.push(`page on any rejected write (INFO errorstats errorstat_OOM, or rejected_calls growing)`);
    return out;
  }
  const ev = metricValue(s, "steady_evicted_per_s");
  if (Number.isFinite(ev) && ev > 0)
    out.push(`warn when evicted_keys grows faster than ${fmtRate(2 * ev)}/s over 5 min (2 × the steady ${fmtRate(ev)}/s: the working set grew), page above ${fmtRate(5 * ev)}/s`);
  else out.push(`warn on any sustained eviction (evicted_keys growing for 5 min): in the plan the data fits, so evictions mean it outgrew maxmemory`);
  const hr = metricValue(s, "steady_hit_ratio");
  const target = targets.find((t) => t.metric === "steady_hit_ratio");
  if (Number.isFinite(hr)) {
    const ci = metricValue(s, "steady_hit_ratio_ci95");
    const warn = hr - Math.max(0.02, 3 * (Number.isFinite(ci) ? ci : 0));
    out.push(
      `warn when the hit ratio (Δkeyspace_hits / Δ(keyspace_hits + keyspace_misses) over 5 min) falls below ${(warn * 100).toFixed(1)} % (steady ${(hr * 100).toFixed(1)} %)` +
        (target ? `, page below the target ${(target.value * 100).toFixed(1)} %` : ""),
    );
  }
  out.push(`warn when mem_fragmentation_ratio > 1.5 (memory that is not cache), page when used_memory stays above maxmemory for a minute (evictions not keeping up)`);
  if (policy.startsWith("volatile-")) out.push(`page on any rejected write (-OOM): ${policy} evicts only keys with a TTL, and fails writes when none is left`);
  return out;
}

const fmtRate = (x: number) => (x >= 100 ? String(Math.round(x)) : String(+x.toPrecision(3)));
