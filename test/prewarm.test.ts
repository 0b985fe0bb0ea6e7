import { describe, expect, it } from "vitest";
import { timeseriesColumns } from "../src/metrics/columns.ts";
import { lfuDecrAndReturn, lfuTimeInMinutes } from "../src/redis/lfu.ts";
import { estimateObjectIdleTime } from "../src/redis/lru.ts";
import { runPlan } from "../src/run.ts";
import { compile } from "../src/scenario/compile.ts";
import { parseScenario } from "../src/scenario/parse.ts";

/*
 * Issue 13, point 5: a prewarm (the `prewarm` event, and `restart` with `keys:`) loads the keys a warm
 * server holds, in the state it holds them, and never pushes used_memory past maxmemory: no eviction storm
 * and no OOM error at the load, and the first interval already at the steady hit ratio.
 *
 * The keyspace is larger than memory throughout: 200 000 keys of 1 KB (≈ 240 MB) for maxmemory 64mb, which
 * holds ≈ 49 000 of them. Before this change a prewarm of 100 % stored every key, evicting (or, under
 * noeviction, rejecting) ≈ 150 000 of them at 0 s, and started an LRU cache at a hit ratio of 0.62 against
 * its steady 0.84.
 */

const COLS = timeseriesColumns(true).map((c) => c.name as string);
type Row = Record<string, number>;

function simulate(text: string) {
  const raw: number[][] = [];
  const run = runPlan(compile(parseScenario(text)), { onRow: (r) => raw.push(r) });
  const rows = raw.map((r) => Object.fromEntries(COLS.map((c, i) => [c, r[i]])) as Row);
  return { run, rows, summary: run.summary as unknown as Record<string, string | number> };
}

const MAXMEMORY = 64 * 1024 * 1024;

/** 200 000 Zipf(1.0) keys of 1 KB, prewarmed at 0 s; `mode` and the events after the prewarm vary. */
const scenario = (policy: string, opts: { mode?: string; events?: string; extra?: string; rate?: number; duration?: string; ttl?: string } = {}) => `
seed: 13
duration: ${opts.duration ?? "60s"}
workload:
  rate: ${opts.rate ?? 20000}
  classes:
    - { name: k, keys: 200000, popularity: { dist: zipf, alpha: 1.0 }, value-size: 1kb${opts.ttl ? `, ttl: ${opts.ttl}` : ""}${opts.mode ?? ""} }
events:
  - { at: 0s, action: prewarm, keys: 100% }
${opts.events ?? ""}
redis: { maxmemory: 64mb, maxmemory-policy: ${policy} }
${opts.extra ?? ""}
`;

/** Reads only: nothing but the prewarm can store a key (or fail to). */
const READS = ", mode: explicit, ops: { get: 100% }";

const num = (x: string | number) => Number(x);

describe("prewarm 100 % of a keyspace larger than maxmemory", () => {
  for (const policy of ["allkeys-lru", "allkeys-lfu"]) {
    it(`${policy}, reads only: not one key evicted, used_memory ≤ maxmemory, the hit ratio of the first second is the steady one`, () => {
      const o = simulate(scenario(policy, { mode: READS }));
      expect(o.rows[0].evicted_keys).toBe(0);
      expect(o.summary.evicted_keys).toBe(0);
      expect(o.summary.oom_rejected_writes).toBe(0);
      for (const r of o.rows) expect(r.used_memory).toBeLessThanOrEqual(MAXMEMORY);
      // memory is full: less than one more key would have fitted
      expect(o.rows[0].used_memory).toBeGreaterThan(MAXMEMORY - 2000);
      expect(Math.abs(o.rows[0].hit_ratio - num(o.summary.steady_hit_ratio))).toBeLessThan(0.01);
    });

    it(`${policy}, cache-aside: the first second evicts at the steady rate (no storm) and hits at the steady ratio (within 1 pp)`, () => {
      const o = simulate(scenario(policy));
      const s = o.summary;
      expect(s.steady_state).toBe("reached");
      const steadyEvictions = num(s.steady_evicted_per_s);
      expect(steadyEvictions).toBeGreaterThan(1000); // every miss evicts a key in steady state
      expect(o.rows[0].evicted_keys).toBeLessThan(1.3 * steadyEvictions);
      expect(Math.abs(o.rows[0].hit_ratio - num(s.steady_hit_ratio))).toBeLessThan(0.01);
      // and so are the next seconds: the cache does not drift from where it started
      for (const r of o.rows.slice(0, 10)) expect(Math.abs(r.hit_ratio - num(s.steady_hit_ratio))).toBeLessThan(0.015);
      // the mean of the run's last half agrees with the steady figure
      const late = o.rows.slice(o.rows.length / 2);
      const lateMean = late.reduce((a, r) => a + r.hit_ratio, 0) / late.length;
      expect(Math.abs(o.rows[0].hit_ratio - lateMean)).toBeLessThan(0.01);
    });
  }

  it("allkeys-lru: hot keys look recently used, the least popular look oldest", () => {
    const o = simulate(scenario("allkeys-lru", { mode: READS, duration: "1s" }));
    const server = o.run.server, ks = server.ks;
    const meanIdle = (from: number, to: number) => {
      let s = 0, n = 0;
      for (let k = from; k < to; k++) if (ks.exists(k)) (s += estimateObjectIdleTime(server.lruclock, ks.lruOf(k))), n++;
      return { idle: s / n / 1000, n };
    };
    const top = meanIdle(0, 1000), mid = meanIdle(10_000, 20_000), tail = meanIdle(60_000, 200_000);
    expect(top.n).toBe(1000); // the hottest keys are all there
    expect(tail.n).toBeGreaterThan(1000); // Che: a warm LRU cache holds some of the tail too
    expect(top.idle).toBeLessThan(2); // read in the last second (the cached clock has 1 s steps)
    expect(mid.idle).toBeGreaterThan(top.idle);
    expect(tail.idle).toBeGreaterThan(mid.idle);
  });

  it("allkeys-lfu: counters as a steady state has them: far above 5 for hot keys, 5–6 near the eviction threshold", () => {
    const o = simulate(scenario("allkeys-lfu", { mode: READS, duration: "1s" }));
    const server = o.run.server, ks = server.ks;
    const nowMin = lfuTimeInMinutes(server.nowMs);
    const counters = (from: number, to: number) => {
      const c: number[] = [];
      for (let k = from; k < to; k++) if (ks.exists(k)) c.push(lfuDecrAndReturn(ks.lruOf(k), nowMin, 1));
      return c;
    };
    const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
    // at 20 000 reads/s the key of rank r is read ≈ 94 000 / r times a minute
    expect(Math.min(...counters(0, 10))).toBeGreaterThan(100);
    expect(mean(counters(100, 1000))).toBeGreaterThan(10);
    const edge = counters(30_000, 60_000);
    expect(mean(edge)).toBeGreaterThanOrEqual(5);
    expect(mean(edge)).toBeLessThan(6.5);
  });
});

describe("prewarm under noeviction never meets an OOM error", () => {
  it("reads only: no write rejected, used_memory ≤ maxmemory in every row, memory full", () => {
    const o = simulate(scenario("noeviction", { mode: READS }));
    expect(o.summary.oom_rejected_writes).toBe(0);
    expect(o.summary.first_oom_s).toBe("");
    for (const r of o.rows) expect(r.used_memory).toBeLessThanOrEqual(MAXMEMORY);
    expect(o.rows[0].used_memory).toBeGreaterThan(MAXMEMORY - 2000);
    // noeviction keeps what it has: the hottest keys, at the steady hit ratio from the start
    expect(Math.abs(o.rows[0].hit_ratio - num(o.summary.steady_hit_ratio))).toBeLessThan(0.01);
  });

  it("cache-aside: the first second rejects only the misses' writes of the steady state, none caused by the load", () => {
    const o = simulate(scenario("noeviction"));
    const steadyOom = num(o.summary.steady_oom_rejected_per_s);
    expect(steadyOom).toBeGreaterThan(1000); // a full noeviction cache refuses every miss's SET
    expect(o.rows[0].oom_rejected_writes).toBeLessThan(1.3 * steadyOom);
    // Redis admits the one write that starts below the limit; nothing more
    for (const r of o.rows) expect(r.used_memory).toBeLessThanOrEqual(MAXMEMORY + 1200);
    expect(Math.abs(o.rows[0].hit_ratio - num(o.summary.steady_hit_ratio))).toBeLessThan(0.01);
  });
});

describe("prewarm with TTLs: remaining TTLs uniform in (0, ttl]", () => {
  it("20 000 keys with a 30 s TTL, all fitting: they expire over the 30 s, not together at 30 s", () => {
    const o = simulate(`
seed: 13
duration: 40s
workload:
  rate: 2000
  mode: explicit
  ops: { get: 100% }
  classes:
    - { name: k, keys: 20000, value-size: 100, ttl: 30s }
events: [ { at: 0s, action: prewarm, keys: 100% } ]
`);
    const at = (t: number) => o.rows.find((r) => r.time_s === t)!;
    // the old prewarm kept all 20 000 (and a hit ratio of 1) until 30 s, then expired them together
    expect(at(1).keys).toBeGreaterThan(19_000);
    expect(at(1).expired_keys).toBeGreaterThan(0);
    // halfway, about half have expired (reads of the expired ones miss); all are gone at 30 s
    expect(at(15).hit_ratio).toBeGreaterThan(0.35);
    expect(at(15).hit_ratio).toBeLessThan(0.65);
    expect(at(15).keys).toBeGreaterThan(0.35 * 20_000);
    expect(at(15).keys).toBeLessThan(0.7 * 20_000);
    expect(at(31).keys).toBe(0);
    // the active expire cycle reclaims them as it finds them: a steady trickle, never the whole set at once
    expect(Math.max(...o.rows.map((r) => r.expired_per_sec))).toBeLessThan(0.15 * 20_000);
  });
});

describe("cache-aside with a database: the prewarm starts the application warm", () => {
  it("allkeys-lru, 10 000 reads/s: no eviction storm, the first second at the steady hit ratio, no query queue and no error", () => {
    const o = simulate(
      scenario("allkeys-lru", { rate: 10000, ttl: "10m", extra: "database: { pool: 20, query-time: { dist: lognormal, p50: 1ms, p99: 5ms } }" }),
    );
    const s = o.summary;
    expect(s.steady_state).toBe("reached");
    expect(o.rows[0].evicted_keys).toBeLessThan(1.3 * num(s.steady_evicted_per_s));
    expect(Math.abs(o.rows[0].hit_ratio - num(s.steady_hit_ratio))).toBeLessThan(0.01);
    expect(o.rows[0].app_errors).toBe(0);
    expect(o.rows[0].db_queue_peak).toBeLessThan(20);
    expect(o.rows[0].latency_p99_ms).toBeLessThan(2 * num(s.steady_p99_ms));
    for (const r of o.rows) expect(r.used_memory).toBeLessThanOrEqual(MAXMEMORY + 1200);
  });
});

describe("restart with keys: 100 %: the reload stays under maxmemory", () => {
  const restart = "  - { at: 20s, action: restart, downtime: 1s, keys: 100% }";

  it("allkeys-lru, reads only: no eviction before, at or after the reload, used_memory ≤ maxmemory in every row, the hit ratio back at once", () => {
    const o = simulate(scenario("allkeys-lru", { mode: READS, events: restart, duration: "40s" }));
    expect(o.summary.evicted_keys).toBe(0);
    for (const r of o.rows) expect(r.used_memory).toBeLessThanOrEqual(MAXMEMORY);
    const before = o.rows.find((r) => r.time_s === 19)!, after = o.rows.find((r) => r.time_s === 22)!;
    expect(after.keys).toBeGreaterThan(0.98 * before.keys);
    expect(after.keys).toBeLessThan(1.02 * before.keys);
    expect(Math.abs(o.rows.find((r) => r.time_s === 23)!.hit_ratio - o.rows[0].hit_ratio)).toBeLessThan(0.01);
  });

  it("noeviction, reads only: the reload meets no OOM error", () => {
    const o = simulate(scenario("noeviction", { mode: READS, events: restart, duration: "30s" }));
    expect(o.summary.oom_rejected_writes).toBe(0);
    for (const r of o.rows) expect(r.used_memory).toBeLessThanOrEqual(MAXMEMORY);
  });

  it("allkeys-lru, cache-aside: the second after the reload evicts at the steady rate", () => {
    const o = simulate(scenario("allkeys-lru", { events: restart, duration: "40s" }));
    const rate = (t: number) => o.rows.find((r) => r.time_s === t)!.evicted_per_sec;
    const steady = o.rows.filter((r) => r.time_s > 30).reduce((a, r) => a + r.evicted_per_sec, 0) / 10;
    expect(rate(22)).toBeLessThan(1.3 * steady);
    expect(rate(23)).toBeLessThan(1.3 * steady);
  });
});
