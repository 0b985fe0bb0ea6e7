import { describe, expect, it } from "vitest";
import { simPlanRun } from "../src/cli/plan.ts";
import { InputError } from "../src/errors.ts";
import { runPlan } from "../src/run.ts";
import { compile } from "../src/scenario/compile.ts";
import { parseTarget } from "../src/plan/targets.ts";
import { loadScenarioFile } from "../src/io/scenario-file.ts";

const hitAt = (maxmemory: number) => {
  const l = loadScenarioFile("scenarios/policy-comparison.yaml", ["duration=30s", `redis.maxmemory=${maxmemory}`]);
  return runPlan(compile(l.scenario)).summary.hit_ratio as number;
};

describe("sim plan on policy-comparison.yaml (30 s)", () => {
  it("returns a maxmemory that meets hit_ratio ≥ 0.8 while 5 % less does not", async () => {
    const r = await simPlanRun({ scenario: "scenarios/policy-comparison.yaml", set: ["duration=30s"], target: ["hit_ratio>=0.8"] });
    expect(r.best).not.toBeNull();
    const m = r.best!.maxmemory;
    expect(m).toBe(17 * 1024 * 1024); // 17mb: the figure on seed 42
    expect(hitAt(m)).toBeGreaterThanOrEqual(0.8);
    expect(hitAt(Math.floor(m * 0.95))).toBeLessThan(0.8);
    expect(r.text).toMatch(/^Recommendation: maxmemory 17mb \(17\.00M\) with maxmemory-policy allkeys-lru\.$/m);
    expect(r.text).toMatch(/^ {2}maxmemory 17mb$/m);
    expect(r.text).toMatch(/warn at used_memory ≥ 11\.90M \(70 % of maxmemory\), page at ≥ 14\.45M \(85 %\)/);
  });

  it("says so when no size can meet a target, and rejects targets it cannot search", async () => {
    const r = await simPlanRun({ scenario: "scenarios/policy-comparison.yaml", set: ["duration=10s"], target: ["hit_ratio>=0.99"] });
    expect(r.best).toBeNull();
    expect(r.text).toMatch(/No maxmemory up to .* meets the targets/);
    await expect(simPlanRun({ scenario: "scenarios/policy-comparison.yaml", target: ["hit_ratio<=0.5"] })).rejects.toThrow(/more memory cannot make hit_ratio smaller/);
    await expect(simPlanRun({ scenario: "scenarios/policy-comparison.yaml", target: ["hitratio>=0.5"] })).rejects.toThrow(InputError);
    expect(parseTarget("p99_ms<5", ["latency_p99_ms"])).toEqual({ text: "p99_ms<5", metric: "latency_p99_ms", op: "<", value: 5 });
    expect(parseTarget("hit_ratio>=95%", ["hit_ratio"])).toMatchObject({ value: 0.95 });
    expect(parseTarget("hit ratio > 1", ["hit_ratio"])).toMatch(/expected <metric><op><number>/);
  });
});
