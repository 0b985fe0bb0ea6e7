import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { runPlan } from "../src/run.ts";
import { compile } from "../src/scenario/compile.ts";
import { parseScenario } from "../src/scenario/parse.ts";
import { POLICY_NAMES } from "../src/redis/policies.ts";

/*
 * Golden numbers on fixed seeds (libCacheSim's habit): any change to the model that moves them shows up
 * here. When a change is intended, run `GOLDEN_UPDATE=1 npx vitest run test/golden.test.ts`: it rewrites
 * the table below; review the movement in the diff and explain it in the commit.
 */

const scenario = readFileSync(new URL("../scenarios/policy-comparison.yaml", import.meta.url), "utf8");

const GOLDEN: Record<string, [number, number, number, number, number]> = {
  // policy: [hit_ratio, evicted_keys, expired_keys, oom_rejected_writes, used_memory]
  "noeviction": [0.797685, 0, 0, 78687, 16778176],
  "allkeys-lru": [0.795661, 79949, 0, 0, 16777112],
  "allkeys-lfu": [0.803941, 75031, 0, 0, 16776992],
  "allkeys-random": [0.77699, 91298, 0, 0, 16777128],
  "volatile-lru": [0.726682, 79579, 0, 39794, 16777728],
  "volatile-lfu": [0.740334, 71384, 0, 39794, 16777728],
  "volatile-random": [0.71644, 85727, 0, 39794, 16777728],
  "volatile-ttl": [0.713201, 87671, 0, 39794, 16777728],
  "exact-lru": [0.796996, 79227, 0, 0, 16777192],
  "opt": [0.839793, 53247, 0, 0, 16777176],
};

function run(policy: string) {
  const sc = parseScenario(scenario, { set: [`redis.maxmemory-policy=${policy}`, "duration=30s"] });
  const s = runPlan(compile(sc)).summary;
  return [s.hit_ratio, s.evicted_keys, s.expired_keys, s.oom_rejected_writes, s.used_memory] as [number, number, number, number, number];
}

describe("policy-comparison.yaml, 30 s, seed 42", () => {
  const results: Record<string, number[]> = {};
  for (const policy of POLICY_NAMES) {
    it(`runPlan(policy-comparison, ${policy}) reproduces its golden figures`, () => {
      const got = run(policy);
      results[policy] = got;
      if (!process.env.GOLDEN_UPDATE) expect(got).toEqual(GOLDEN[policy]);
    });
  }
  afterAll(() => {
    if (!process.env.GOLDEN_UPDATE) return;
    const file = new URL(import.meta.url).pathname;
    const text = readFileSync(file, "utf8");
    const table = POLICY_NAMES.map((p) => `  "${p}": [${results[p].join(", ")}],`).join("\n");
    writeFileSync(file, text.replace(/(oom_rejected_writes, used_memory\]\n)[\s\S]*?(\n};)/, `$1${table}$2`));
  });
});
