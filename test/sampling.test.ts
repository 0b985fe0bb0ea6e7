import { describe, expect, it } from "vitest";
import { runPlan } from "../src/run.ts";
import { compile } from "../src/scenario/compile.ts";
import { parseScenario } from "../src/scenario/parse.ts";

/*
 * Scaled-down mode (workload.sampling, SHARDS-style spatial sampling): a 10 % sample of the keyspace
 * with the dataset part of maxmemory scaled by 10 % must predict the full run's hit ratio within 1 pp
 * (issue 4), here on a smaller copy of the bench workload (Zipf 1.0, 100-byte values, cache-aside).
 */
const scenario = (policy: string, sampling: string, maxmemory: string) =>
  parseScenario(`
seed: 4
duration: 30s
redis: { maxmemory: ${maxmemory}, maxmemory-policy: ${policy} }
workload:
  rate: 100000
  sampling: ${sampling}
  classes: [{ name: k, keys: 500000, popularity: zipf, value-size: 100 }]
`);

describe("workload.sampling (SHARDS)", () => {
  for (const [policy, maxmemory] of [
    ["allkeys-lru", "10mb"],
    ["allkeys-lru", "40mb"],
    ["allkeys-lfu", "10mb"],
    ["allkeys-random", "10mb"],
  ] as const) {
    it(`a 10% sample predicts the full run's hit ratio within 1 pp (${policy}, ${maxmemory})`, () => {
      const full = runPlan(compile(scenario(policy, "1", maxmemory))).summary;
      const sampled = runPlan(compile(scenario(policy, "10%", maxmemory))).summary;
      const gap = Math.abs(Number(full.hit_ratio) - Number(sampled.hit_ratio)) * 100;
      expect(gap).toBeLessThan(1);
      // counts are scaled back to the full workload
      expect(sampled.requests).toBe(full.requests);
      expect(Math.abs(Number(sampled.evicted_keys) / Number(full.evicted_keys) - 1)).toBeLessThan(0.1);
      expect(Math.abs(Number(sampled.used_memory) / Number(full.used_memory) - 1)).toBeLessThan(0.03);
    });
  }

  it("sampling: 0 is refused", () => {
    expect(() => scenario("allkeys-lru", "0", "10mb")).toThrow(/workload\.sampling: 0 keeps no key/);
  });
});
