import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { simRun } from "../src/cli/run.ts";
import { runPlan } from "../src/run.ts";
import { compile } from "../src/scenario/compile.ts";
import { parseScenario } from "../src/scenario/parse.ts";

/*
 * Issue 13: every headline figure is a steady-state figure with a 95 % interval, or says why there is
 * none. Exact figures on fixed seeds; the warm-up and the intervals are computed by metrics/steady.ts.
 */

const summaryOf = (text: string, set: string[] = []) => runPlan(compile(parseScenario(text, { set }))).summary as Record<string, string | number>;

const WARM = `name: warm
seed: 5
duration: 3m
redis: { maxmemory: 64mb, maxmemory-policy: allkeys-lru }
workload:
  rate: 20000
  classes: [{ name: k, keys: 500000, popularity: { dist: zipf, alpha: 0.9 }, value-size: 300 }]
`;

describe("steady state in summary.csv", () => {
  it("auto warm-up moves the hit ratio by more than 1 pp against the whole-run figure (a cache filling for 30 s)", () => {
    const s = summaryOf(WARM);
    expect(s.steady_state).toBe("reached");
    expect(s.warmup_s).toBe(30);
    expect(s.hit_ratio).toBe(0.789935);
    expect(s.steady_hit_ratio).toBe(0.806433);
    expect(Number(s.steady_hit_ratio) - Number(s.hit_ratio)).toBeGreaterThan(0.01);
    expect(Number(s.steady_hit_ratio_ci95)).toBeGreaterThan(0);
    expect(Number(s.steady_hit_ratio_ci95)).toBeLessThan(0.002);
  });

  it("output.warmup fixes the warm-up; a run too short to judge says so and gives no steady figure", () => {
    const fixed = summaryOf(WARM, ["output.warmup=1m"]);
    expect([fixed.steady_state, fixed.warmup_s]).toEqual(["reached", 60]);
    expect(fixed.steady_note).toMatch(/as given \(output\.warmup\)/);
    const short = summaryOf(WARM, ["duration=20s"]);
    expect(short.steady_state).toBe("not reached");
    expect(short.steady_note).toMatch(/too short to judge: 20 intervals/);
    expect(short.steady_hit_ratio).toBe("");
  });

  it("a cache still filling (memory growing all run) reaches no steady state, and says which series moves", () => {
    const s = summaryOf(WARM, ["redis.maxmemory=1gb"]);
    expect(s.steady_state).toBe("not reached");
    expect(s.steady_note).toMatch(/used_memory still changing at the end of the run/);
  });

  it("the late-night pager (noeviction, memory growing all night) has no steady state", () => {
    const s = summaryOf(readFileSync("scenarios/late-night-pager.yaml", "utf8"));
    expect(s.steady_state).toBe("not reached");
  });

  it("policy-comparison: warm-up 25 s, steady hit ratio 0.817243 ± 0.000321", () => {
    const s = summaryOf(readFileSync("scenarios/policy-comparison.yaml", "utf8"));
    expect([s.warmup_s, s.steady_hit_ratio, s.steady_hit_ratio_ci95]).toEqual([25, 0.817243, 0.000321]);
  });
});

describe("--replications", () => {
  it("5 seeds: the batch-means interval of one run and the interval across replications agree within a factor of two", async () => {
    const out = join(mkdtempSync(join(tmpdir(), "evictsim-rep-")), "r");
    const one = (await simRun({ scenario: "scenarios/policy-comparison.yaml", out: out + "1", quiet: true })).summary;
    const five = (await simRun({ scenario: "scenarios/policy-comparison.yaml", out, quiet: true, replications: 5 })).summary;
    expect(five.steady_note).toMatch(/^means over 5 replications \(seeds 42…46\)/);
    const batch = Number(one.steady_hit_ratio_ci95), across = Number(five.steady_hit_ratio_ci95);
    expect(across / batch).toBeGreaterThan(0.5);
    expect(across / batch).toBeLessThan(2);
    const rows = readFileSync(join(out, "replications.csv"), "utf8").trim().split("\n");
    expect(rows).toHaveLength(6);
    expect(rows.slice(1).map((r) => r.split(",")[0])).toEqual(["42", "43", "44", "45", "46"]);
    // the first seed's whole-run counters are kept
    expect(five.hit_ratio).toBe(one.hit_ratio);
  });
});
