import { describe, expect, it } from "vitest";
import { simPlanRun } from "../src/cli/plan.ts";
import { InputError } from "../src/errors.ts";
import { runPlan } from "../src/run.ts";
import { compile } from "../src/scenario/compile.ts";
import { parseTarget } from "../src/plan/targets.ts";
import { loadScenarioFile } from "../src/io/scenario-file.ts";

// 90 s at 1 s intervals: enough intervals to find the warm-up (MSER-5 needs 50)
const SET = ["duration=60s", "output.interval=1s"];
const steadyAt = (maxmemory: number) => {
  const l = loadScenarioFile("scenarios/policy-comparison.yaml", [...SET, `redis.maxmemory=${maxmemory}`]);
  const s = runPlan(compile(l.scenario)).summary;
  return { hr: Number(s.steady_hit_ratio), ci: Number(s.steady_hit_ratio_ci95) };
};

// ~20 simulated runs per plan: generous timeouts so that a busy machine does not fail the suite
describe("sim plan on policy-comparison.yaml (60 s)", { timeout: 300_000 }, () => {
  it("returns a maxmemory whose steady hit ratio meets ≥ 0.8 while 5 % less does not; alerts fit allkeys-lru", async () => {
    const r = await simPlanRun({ scenario: "scenarios/policy-comparison.yaml", set: SET, target: ["hit_ratio>=0.8"] });
    expect(r.best).not.toBeNull();
    const m = r.best!.maxmemory;
    expect(m).toBe(14592 * 1024); // 14.25 MiB: the figure on seed 42
    expect(steadyAt(m).hr).toBeGreaterThanOrEqual(0.8);
    const below = steadyAt(Math.floor(m * 0.95));
    expect(below.hr + below.ci).toBeLessThan(0.8);
    expect(r.text).toMatch(/judged on steady-state figures after the warm-up: hit_ratio → steady_hit_ratio/);
    expect(r.text).toMatch(/^At that size: steady_hit_ratio 0\.8\d+ ± 0\.00\d+ \(± 95 % interval, batch means\)\.$/m);
    // an LRU cache sits at maxmemory by design: no used_memory threshold, evictions and hit ratio instead
    expect(r.text).not.toMatch(/warn at used_memory/);
    expect(r.text).toMatch(/warn when evicted_keys grows faster than \d+\/s over 5 min/);
    expect(r.text).toMatch(/page below the target 80\.0 %/);
  });

  it("a run too short to settle gives no answer from its cold start", async () => {
    const r = await simPlanRun({ scenario: "scenarios/policy-comparison.yaml", set: ["duration=30s"], target: ["hit_ratio>=0.8"] });
    expect(r.best).toBeNull();
    expect(r.text).toMatch(/reaches no steady state/);
    expect(r.text).not.toMatch(/more memory cannot help/);
  });

  it("says so when no size can meet a target, and rejects targets it cannot search", async () => {
    const r = await simPlanRun({ scenario: "scenarios/policy-comparison.yaml", set: SET, target: ["hit_ratio>=0.99"] });
    expect(r.best).toBeNull();
    expect(r.text).toMatch(/No maxmemory up to .* meets the targets/);
    await expect(simPlanRun({ scenario: "scenarios/policy-comparison.yaml", target: ["hit_ratio<=0.5"] })).rejects.toThrow(/more memory cannot make hit_ratio smaller/);
    await expect(simPlanRun({ scenario: "scenarios/policy-comparison.yaml", target: ["hitratio>=0.5"] })).rejects.toThrow(InputError);
    expect(parseTarget("p99_ms<5", ["latency_p99_ms"])).toEqual({ text: "p99_ms<5", metric: "latency_p99_ms", op: "<", value: 5 });
    expect(parseTarget("hit_ratio>=95%", ["hit_ratio"])).toMatchObject({ value: 0.95 });
    expect(parseTarget("hit ratio > 1", ["hit_ratio"])).toMatch(/expected <metric><op><number>/);
  });
});
