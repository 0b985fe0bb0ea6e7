import seedrandom from "seedrandom";
import { describe, expect, it } from "vitest";
import { meanCi, mser5, steadyState, t975, type Series } from "./steady.ts";

/** A run's series from per-interval hit probabilities (Bernoulli lookups, `reads` per interval). */
function run(p: (i: number) => number, n: number, reads = 1000, seed = "s"): Series {
  const rng = seedrandom(seed);
  const t: number[] = [], hits: number[] = [], misses: number[] = [], zero: number[] = [], used: number[] = [];
  let h = 0, m = 0;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < reads; r++) (rng() < p(i) ? h++ : m++);
    t.push(i + 1);
    hits.push(h);
    misses.push(m);
    zero.push(0);
    used.push(1000);
  }
  return { t, hits, misses, evicted: zero, expired: zero, oom: zero, used };
}

describe("MSER-5", () => {
  it("a stationary series: no truncation to speak of, settled", () => {
    const rng = seedrandom("a");
    const y = Array.from({ length: 500 }, () => 0.8 + 0.01 * (rng() - 0.5));
    const r = mser5(y);
    expect(r.settled).toBe(true);
    expect(r.cut).toBeLessThan(50);
  });

  it("a cold start that settles at interval 100 of 600: cut within 5 % of the run around it", () => {
    const rng = seedrandom("b");
    const y = Array.from({ length: 600 }, (_, i) => (i < 100 ? 0.8 * (i / 100) : 0.8) + 0.01 * (rng() - 0.5));
    const r = mser5(y);
    expect(r.settled).toBe(true);
    expect(r.cut).toBeGreaterThanOrEqual(70);
    expect(r.cut).toBeLessThanOrEqual(130);
  });

  it("a series still rising at the end is not settled", () => {
    const y = Array.from({ length: 600 }, (_, i) => i / 600);
    expect(mser5(y).settled).toBe(false);
  });

  it("a constant series is settled from the start", () => {
    expect(mser5(Array(100).fill(3))).toEqual({ cut: 0, settled: true });
  });
});

describe("steadyState", () => {
  it("drops the cold start: steady hit ratio 0.8 where the whole run reads lower; the batch-means interval covers it", () => {
    const s = steadyState(run((i) => (i < 100 ? 0.8 * (i / 100) : 0.8), 600));
    expect(s.reached).toBe(true);
    expect(s.method).toBe("mser-5");
    expect(s.warmupS).toBeGreaterThanOrEqual(70);
    expect(s.warmupS).toBeLessThanOrEqual(130);
    expect(Math.abs(s.hitRatio.value - 0.8)).toBeLessThan(s.hitRatio.ci95 * 1.5 + 1e-4);
    // i.i.d. lookups: the half-width is about 1.96 √(p(1−p)/N) with N the steady lookups
    const n = (600 - s.warmupS) * 1000;
    const expected = 1.96 * Math.sqrt((0.8 * 0.2) / n);
    expect(s.hitRatio.ci95).toBeGreaterThan(expected / 2);
    expect(s.hitRatio.ci95).toBeLessThan(expected * 2);
  });

  it("a fixed warm-up is used as given", () => {
    const s = steadyState(run(() => 0.5, 100), 30);
    expect([s.method, s.warmupS, s.reached]).toEqual(["fixed", 30, true]);
  });

  it("too short to judge, or never steady: says so instead of a figure", () => {
    const short = steadyState(run(() => 0.5, 20));
    expect(short.reached).toBe(false);
    expect(short.reason).toMatch(/the run is too short to judge: 20 intervals \(at least 50 needed/);
    expect(Number.isNaN(short.hitRatio.value)).toBe(true);
    const rising = steadyState(run((i) => i / 600, 600));
    expect(rising.reached).toBe(false);
    expect(rising.reason).toMatch(/^hit ratio still changing at the end of the run/);
  });
});

describe("intervals", () => {
  it("t quantiles and the mean's interval", () => {
    expect(t975(4)).toBe(2.776);
    expect(t975(1000)).toBe(1.96);
    const e = meanCi([1, 2, 3, 4, 5]);
    expect(e.value).toBe(3);
    expect(e.ci95).toBeCloseTo((2.776 * Math.sqrt(2.5)) / Math.sqrt(5), 10);
  });
});
