import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { simRun } from "../src/cli/run.ts";
import { runPlan } from "../src/run.ts";
import { compile } from "../src/scenario/compile.ts";
import { parseScenario } from "../src/scenario/parse.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "evictsim-"));

/**
 * One hot key read at 1000 requests/s (Poisson), TTL 5 s, a fixed 100 ms recompute, no network time,
 * a pool too large to queue, warm at the start: 5000 s ≈ 1000 expiry cycles. Returns every herd's size.
 */
function herds(mitigation: string, seed = 3) {
  const sc = parseScenario(`
seed: ${seed}
duration: 5000s
workload:
  rate: 1000
  classes: [{ name: hot, keys: 1, ttl: 5s, mitigation: ${mitigation} }]
events: [{ at: 0s, action: prewarm, keys: 100% }]
app: { redis-rtt: 0us, redis-command-time: 0us }
database: { pool: 1000, max-connections: 1000, rtt: 0us, query-time: 100ms }
`);
  const sizes: number[] = [];
  const r = runPlan(compile(sc), { onHerd: (h) => sizes.push(h.size) });
  const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
  return { sizes, mean, r };
}

describe("XFetch (Vattani et al., PVLDB 2015): recomputations per expiry ≈ e^(1/β)", () => {
  it("β = 1: 2.72 per expiry against e = 2.72 (within 10 %), and no user sees a miss", () => {
    const { sizes, mean, r } = herds("{ kind: xfetch, beta: 1 }");
    expect(sizes.length).toBe(1079);
    expect(mean).toBeCloseTo(2.7155, 4);
    expect(Math.abs(mean / Math.E - 1)).toBeLessThan(0.1);
    expect(r.summary.keyspace_misses).toBe(0);
  });
  it("β = 1.5: 2.01 per expiry against e^(2/3) = 1.95 (within 10 %)", () => {
    const { mean } = herds("{ kind: xfetch, beta: 1.5 }");
    expect(mean).toBeCloseTo(2.006, 4);
    expect(Math.abs(mean / Math.exp(1 / 1.5) - 1)).toBeLessThan(0.1);
  });
  it("none: every request during the 100 ms recompute misses: ≈ rate × recompute time = 100 per expiry", () => {
    const { mean } = herds("none");
    expect(mean).toBeCloseTo(100.923, 4);
    expect(Math.abs(mean / 100 - 1)).toBeLessThan(0.1);
  });
  it("lock: exactly one recompute per expiry", () => {
    const { sizes } = herds("lock");
    expect(sizes.length).toBeGreaterThan(900);
    expect(Math.max(...sizes)).toBe(1);
  });
});

describe("scenarios/stampede.yaml", () => {
  it("none herds in the hundreds; lock and xfetch stay at 1–4 concurrent queries; same seed, same files", async () => {
    const a = tmp(), b = tmp();
    await simRun({ scenario: "scenarios/stampede.yaml", out: join(a, "r"), quiet: true });
    await simRun({ scenario: "scenarios/stampede.yaml", out: join(b, "r"), quiet: true });
    const files = readdirSync(join(a, "r")).sort();
    expect(files).toEqual([".evictsim", "classes.csv", "herds.csv", "scenario.resolved.yaml", "summary.csv", "timeseries.csv"]);
    for (const f of files) if (f !== "scenario.resolved.yaml") expect(readFileSync(join(b, "r", f), "utf8")).toBe(readFileSync(join(a, "r", f), "utf8"));
    const rows = readFileSync(join(a, "r", "classes.csv"), "utf8").trim().split("\n").map((l) => l.split(","));
    const head = rows[0];
    const get = (cls: string, col: string) => Number(rows.find((r) => r[0] === cls)![head.indexOf(col)]);
    // peak concurrent DB queries per class (figures on seed 42)
    expect(["none", "lock", "xfetch", "ttl-jitter"].map((c) => get(c, "peak_concurrent_queries"))).toEqual([422, 1, 5, 438]);
    expect(get("none", "peak_concurrent_queries")).toBeGreaterThanOrEqual(100);
    expect(get("lock", "peak_concurrent_queries")).toBeLessThanOrEqual(3);
    expect(get("xfetch", "peak_concurrent_queries")).toBeLessThanOrEqual(5);
    // xfetch refreshes before expiry: no user request missed
    expect(get("xfetch", "misses")).toBe(0);
    // jitter does nothing for one key: its herds are as large as none's
    expect(get("ttl-jitter", "herd_mean")).toBeGreaterThan(0.9 * get("none", "herd_mean"));
  });
});
