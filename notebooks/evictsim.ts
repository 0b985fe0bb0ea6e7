/// <reference path="./raw.d.ts" />
/*
 * The notebooks' one import: the simulator's public API (src/index.ts: browser-safe, the same API a
 * program uses) and the bundled scenarios, plus the few helpers the lessons share. build.ts bundles this
 * file with esbuild (platform: browser, no Node built-ins allowed) into notebooks/lib/evictsim.js, which
 * the notebooks import.
 *
 * Timing lives here, not under src/ (docs/model.md, "Ground rules": no wall clock in the model): every live
 * simulation goes through `timed`, which reports its wall-clock time to the console
 * (`[evictsim] <label>: … ms`), to `globalThis.evictsimTimings` and to the page
 * (`<html data-sim-ms-<label>>`), where the headless test reads it.
 */

import {
  DEFAULT_REDIS_CONFIG,
  estimateObjectIdleTime,
  LFU_INIT_VAL,
  lfuDecrAndReturn,
  lfuLogIncr,
  MemoryModel,
  RedisServer,
  runScenario as runScenarioWith,
  Sim,
  Streams,
  stringEncoding,
  US_PER_S,
  type PolicyName,
  type RedisConfig,
  type ScenarioRun,
} from "../src/index.ts";

import latePager from "../scenarios/late-night-pager.yaml?raw";
import latePagerFixed from "../scenarios/late-night-pager-fixed.yaml?raw";
import stampede from "../scenarios/stampede.yaml?raw";
import rdbCow from "../scenarios/rdb-cow.yaml?raw";
import policyComparison from "../scenarios/policy-comparison.yaml?raw";

export { parseScenario, compile, runPlan, Streams, lfuLogIncr, lfuDecrAndReturn, LFU_INIT_VAL, LFU_COUNTER_MAX } from "../src/index.ts";
export type { Rng, Summary, PolicyName, HerdRow, ScenarioRun, TimeseriesRow as Row } from "../src/index.ts";

/** The bundled scenarios' YAML text, as in scenarios/. */
export const scenarios: Record<string, string> = {
  "late-night-pager": latePager,
  "late-night-pager-fixed": latePagerFixed,
  stampede,
  "rdb-cow": rdbCow,
  "policy-comparison": policyComparison,
};

// ============================== timing ==============================

export interface Timing {
  label: string;
  ms: number;
  /** What was simulated, e.g. 40000 requests. */
  count: number;
  unit: string;
}

const timings: Timing[] = ((globalThis as { evictsimTimings?: Timing[] }).evictsimTimings ??= []);

/** Wall-clock milliseconds (the browser's clock; never used by the model itself). */
function clock(): number {
  return globalThis.performance ? globalThis.performance.now() : Date.now();
}

/**
 * Runs `fn`, reports its wall-clock time under `label` and returns its result with `ms` added.
 * `count` says how much the result simulated, in `unit`s (for the report).
 */
export function timed<T extends object>(label: string, fn: () => T, count: (r: T) => number = () => 0, unit = "requests"): T & { ms: number } {
  const t0 = clock();
  const r = fn();
  const ms = clock() - t0;
  const n = count(r);
  timings.push({ label, ms, count: n, unit });
  console.info(`[evictsim] ${label}: ${ms.toFixed(1)} ms (${n} ${unit})`);
  if (typeof document !== "undefined") document.documentElement.setAttribute(`data-sim-ms-${label}`, ms.toFixed(1));
  return Object.assign(r, { ms });
}

// ============================== scenario runs ==============================

/**
 * src/index.ts runScenario with the overrides and the name as positional arguments, as the notebooks
 * call it: `runScenario(yaml, ["duration=10m", "redis.maxmemory=8mb"], "label")`.
 */
export function runScenario(yaml: string, set: string[] = [], name = "scenario"): ScenarioRun {
  return runScenarioWith(yaml, { set, name });
}

/** `runScenario` under `timed`. */
export function simulate(label: string, yaml: string, set: string[] = []): ScenarioRun & { ms: number } {
  return timed(label, () => runScenario(yaml, set, label), (r) => r.requests);
}

// ============================== lesson helpers ==============================

export interface LruTestKey {
  /** Key name as in the test (1, 2, …). */
  id: number;
  /** "old": written in the first fill and then read in order; "new": added afterwards. */
  set: "old" | "new";
  /** Still in memory after the run. */
  kept: boolean;
  /** Idle time at the end as Redis estimates it (LRU clock), seconds; NaN if evicted. */
  idleS: number;
}

export interface LruTest {
  policy: PolicyName;
  samples: number;
  /** Keys that fit before the first eviction. */
  inserted: number;
  /** Keys added to evict half of them. */
  added: number;
  keys: LruTestKey[];
  /** test-lru.rb's error score: 0 % = the oldest half evicted exactly, 100 % = the newest half. */
  errorPct: number;
  requests: number;
}

/**
 * Redis's own LRU test (redis/utils/lru/test-lru.rb), the source of the key-eviction page's picture:
 * SET keys 1, 2, … until the first eviction; GET them in order, one every `spacingMs` (the original
 * sleeps 1 ms; our LRU clock, like Redis's, ticks once a second, so the default spacing gives every key
 * its own stamp); then SET new keys until half of the first set has been evicted. Perfect LRU evicts
 * exactly the first half. (The original also puts 100 of the new keys in DB 1; we keep one DB.) Key 0 only
 * serves the warm-up GET.
 */
export function lruTest({
  policy = "allkeys-lru" as PolicyName,
  samples = 5,
  maxmemory = 1_100_000,
  spacingMs = 1000,
  seed = 1,
} = {}): LruTest {
  const cfg: RedisConfig = { ...DEFAULT_REDIS_CONFIG, maxmemory, maxmemoryPolicy: policy, maxmemorySamples: samples };
  const sim = new Sim();
  const server = new RedisServer(cfg, sim, new Streams(seed));
  const ks = server.ks;
  let requests = 0;
  const set = (id: number) => {
    server.defineKey(id, 0, String(id).length);
    server.set(id, 3, -1, 0); // "foo"
    requests++;
  };
  // Redis 7 allocates a command's latency histogram (24 688 bytes) the first time the command runs. Run
  // a GET first, so that this allocation does not evict keys halfway through the test.
  server.defineKey(0, 0, 1);
  server.get(0);
  // Fill the DB up to the first eviction.
  let id = 0;
  let size = ks.keys;
  for (;;) {
    set(++id);
    if (ks.keys === size) break;
    size = ks.keys;
  }
  const inserted = ks.keys;
  const firstSetMax = id;
  // Access keys sequentially, so that perfect LRU would evict the first part and keep the rest.
  let t = 0;
  for (let k = 1; k <= firstSetMax; k++) {
    t += spacingMs * 1000;
    sim.advanceTo(t);
    server.get(k);
    requests++;
  }
  // Insert new keys until half of the first set has been evicted.
  const half = Math.floor(inserted / 2);
  let added = 0;
  while (server.stats.evicted_keys < half) {
    set(++id);
    added++;
  }
  // The error score of test-lru.rb: an old-half key kept or a new-half key evicted costs more the further
  // it is from the middle.
  let errors = 0, maxerr = 0;
  const perKey = 100000 / firstSetMax, halfSize = Math.floor(firstSetMax / 2);
  for (let k = 1; k <= halfSize; k++) {
    const exists = ks.exists(k);
    const e = perKey * ((halfSize - k) / halfSize);
    maxerr += e;
    if (exists) errors += e;
  }
  // (test-lru.rb's second branch, for keys in the newer half, is unreachable in its loop; kept out.)
  const clockNow = server.lruclock;
  const keys: LruTestKey[] = [];
  for (let k = 1; k <= id; k++) {
    const kept = ks.exists(k);
    keys.push({
      id: k,
      set: k <= firstSetMax ? "old" : "new",
      kept,
      idleS: kept ? estimateObjectIdleTime(clockNow, ks.lruOf(k)) / 1000 : NaN,
    });
  }
  return { policy, samples, inserted, added, keys, errorPct: maxerr > 0 ? (errors * 100) / maxerr : 0, requests };
}

/**
 * The LFU counter of one key hit `hits` times (no decay), sampled at `points` hit counts spread
 * logarithmically: what `lfu-log-factor` does (the table in redis.conf).
 */
export function lfuGrowth(factor: number, maxHits: number, seed = 1, points = 60): { hits: number; counter: number }[] {
  const rng = new Streams(seed).get("lfu");
  const out = [{ hits: 0, counter: LFU_INIT_VAL }];
  let c = LFU_INIT_VAL, h = 0;
  for (let i = 1; i <= points; i++) {
    const target = Math.round(Math.pow(maxHits, i / points));
    for (; h < target; h++) c = lfuLogIncr(c, factor, rng);
    if (target > out[out.length - 1].hits) out.push({ hits: target, counter: c });
  }
  return out;
}

/**
 * A key's counter over time: hit `rate` times a minute for `activeMin` minutes, then idle; the
 * counter decays by one per `decayTime` minutes of idleness (lfuDecrAndReturn; 0 = never).
 */
export function lfuLifetime(factor: number, decayTime: number, ratePerMin: number, activeMin: number, totalMin: number, seed = 1): { minute: number; counter: number }[] {
  const rng = new Streams(seed).get("lfu");
  let lru = (0 << 8) | LFU_INIT_VAL;
  const out: { minute: number; counter: number }[] = [];
  for (let m = 0; m <= totalMin; m++) {
    if (m < activeMin)
      for (let i = 0; i < ratePerMin; i++) {
        // updateLFU: decay, then increment, restamping the minute
        const c = lfuLogIncr(lfuDecrAndReturn(lru, m, decayTime), factor, rng);
        lru = (m << 8) | c;
      }
    out.push({ minute: m, counter: lfuDecrAndReturn(lru, m, decayTime) });
  }
  return out;
}

/** Seconds → microseconds (for callers building plans by hand). */
export const secondsToUs = (s: number) => s * US_PER_S;

/**
 * The keys in memory and their idle time as Redis estimates it from each key's 24-bit `lru` field and
 * the server's LRU clock (OBJECT IDLETIME), in seconds. Under an LFU policy the field holds
 * [minutes | counter] instead, returned as `counter`.
 */
export function keyspaceIdle(server: RedisServer): { key: number; db: number; idleS: number; counter: number }[] {
  const out: { key: number; db: number; idleS: number; counter: number }[] = [];
  for (const db of server.ks.dbs)
    for (let i = 0; i < db.allN; i++) {
      const key = db.all[2 * i], lru = db.all[2 * i + 1];
      out.push(server.lfu ? { key, db: db.id, idleS: NaN, counter: lru & 255 } : { key, db: db.id, idleS: estimateObjectIdleTime(server.lruclock, lru) / 1000, counter: NaN });
    }
  return out;
}

/**
 * A maxmemory that holds about `fraction` of `keys` string keys of `valueBytes` bytes named
 * `<prefix>:<index>`: the empty server (startup, one client, the GET and SET latency histograms) plus
 * that many keys as used_memory counts them, and their share of the main dict's bucket array.
 */
export function maxmemoryFor(keys: number, valueBytes: number, fraction: number, prefix = "k"): number {
  const mem = new MemoryModel("jemalloc-bundled", "redis");
  const klen = prefix.length + 1 + String(keys - 1).length;
  const perKey = mem.keyBytes(klen, valueBytes, stringEncoding(valueBytes, false, -1, false)) + 8;
  return Math.round(mem.startup + mem.clientBytes + 2 * mem.histogramBytes + fraction * keys * perKey);
}
