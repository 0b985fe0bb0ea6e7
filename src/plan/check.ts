import { CLASS_COLUMNS, type Summary } from "../metrics/columns.ts";
import { MIT_LOCK, MIT_NONE, MIT_SWR, MIT_TTL_JITTER, MIT_XFETCH, MITIGATIONS } from "../app/config.ts";
import { EV_CRASH, EV_FLUSHALL, EV_RESTART, type Plan } from "../parts/plan.ts";
import type { Scenario } from "../scenario/schema.ts";
import { FSYNC_ALWAYS } from "../redis/persistence/config.ts";
import { fmtDuration, fmtFigure, fmtFigureCi, fmtPercent, fmtPercentCi } from "../charts/format.ts";

/*
 * `sim check`: the production risks behind most Redis pager calls, each judged from the scenario and,
 * where it takes a simulation to know (when do writes fail? how fast does it evict? what does a
 * restart do to the database?), from a run of it. Pure: the CLI runs the scenario and passes the
 * summary, the timeseries, the class rows and the herds in.
 *
 * The rules fit the policy. Under noeviction (and volatile-* once the keys with a TTL are gone) memory
 * growing toward maxmemory is the risk: when do writes fail? Under an eviction policy used_memory at
 * maxmemory is a cache doing its job, not a risk; what matters there is how much it evicts and what
 * that does to the hit ratio, judged on the steady state after the warm-up (metrics/steady.ts), never
 * on whole-run figures that include the cold start. A run that reaches no steady state says so instead.
 */

export type Severity = "high" | "medium";

export interface Risk {
  id: string;
  severity: Severity;
  /** One line: the risk and its evidence. */
  message: string;
}

/** The herds of one class and cause (the database queries of one key's miss cycle, app/cache-aside.ts). */
export interface HerdStat {
  cls: number;
  /** cold, expired, evicted, early (xfetch), stale (stale-while-revalidate refresh) */
  cause: string;
  count: number;
  /** queries of the largest herd */
  max: number;
  /** queries of all of them */
  queries: number;
}

export interface CheckInput {
  scenario: Scenario;
  plan: Plan;
  summary: Summary;
  /** used_memory at each sample time (s, bytes), for the growth trend. */
  memory: { t: number; used: number }[];
  /** Timeseries columns by name, one value per interval (time_s first): the event and key-growth rules read them. */
  series?: Record<string, ArrayLike<number>>;
  /** With a database: runPlan's class rows, values in CLASS_COLUMNS order. */
  classes?: (string | number)[][];
  /** With a database: the herds by class and cause (without them, the class rows' herd_max is used). */
  herds?: HerdStat[];
  /**
   * Classes (indices) whose TTL was inferred rather than chosen: sim init's TTL from INFO's avg_ttl is a
   * mean over keys written over time, whose remaining TTLs are spread out; it says nothing about whether
   * production's keys share one fixed TTL.
   */
  inferredTtl?: ReadonlySet<number>;
}

/** "6 h 53 min", "12 min", "45 s" (charts/format.ts fmtDuration). */
export const human = fmtDuration;

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(b < 10 * 1024 * 1024 ? 2 : 0)} MB`;
const n = (x: unknown) => Number(x) || 0;
/** A summary figure, NaN when empty (a steady figure of a run with no steady state, an interval not given). */
const num = (x: unknown) => (x === "" || x === undefined || x === null ? NaN : Number(x));
const count = (x: number) => Math.round(x).toLocaleString("en-US");

/** Steady evictions that count as high: at least this many a second ... */
export const EVICTION_RATE_MIN = 100;
/** ... and at least one for every five requests (in cache-aside, about a miss ratio of 20 % at capacity). */
export const EVICTION_SHARE_MIN = 0.2;
/** A steady hit ratio this far (in ratio) below the whole run's, beyond its interval, has fallen. */
export const HIT_RATIO_DROP = 0.05;
/** A herd of this many queries for one key is a stampede. */
export const HERD_MIN = 10;

/** The growth rate of used_memory over the second half of the run, bytes/s (0 when flat or falling). */
export function growthRate(memory: { t: number; used: number }[]): number {
  if (memory.length < 4) return 0;
  const half = memory.slice(Math.floor(memory.length / 2));
  const a = half[0], b = half[half.length - 1];
  return b.t > a.t ? Math.max(0, (b.used - a.used) / (b.t - a.t)) : 0;
}

/** Whether the run's policy evicts (a maxmemory and any policy but noeviction). */
const evicts = (plan: Plan) => plan.redis.maxmemory > 0 && plan.redis.maxmemoryPolicy !== "noeviction";

/** "in the steady state after the 25 s warm-up" (the words every steady figure carries). */
function afterWarmup(s: Summary): string {
  const w = num(s.warmup_s);
  return Number.isFinite(w) && w > 0 ? `in the steady state after the ${fmtDuration(w)} warm-up` : "in the steady state (no warm-up to cut)";
}

/**
 * The line on the steady state that the eviction-rate and hit-ratio rules rest on: null when the run
 * reached one (or the policy does not evict, so that no rule needs one), else why there is none.
 */
export function steadyNote(inp: Pick<CheckInput, "plan" | "summary">): string | null {
  const s = inp.summary;
  if (!evicts(inp.plan) || s.steady_state === "reached") return null;
  const why = String(s.steady_note ?? "") || "the steady-state analysis was not run";
  return `no steady state: ${why}; the eviction-rate and hit-ratio checks are not judged on whole-run figures that include the cold start`;
}

export function checkRisks(inp: CheckInput): Risk[] {
  const { scenario: sc, plan, summary: s } = inp;
  const r = plan.redis;
  const risks: Risk[] = [];
  const add = (id: string, severity: Severity, message: string) => risks.push({ id, severity, message });
  const duration = n(s.duration_s) || 1;
  const peak = n(s.used_memory_peak);
  const host = plan.persistence?.hostMemory ?? (sc.host ? n(sc.host.memory) : 0);
  const growth = growthRate(inp.memory);
  const steady = s.steady_state === "reached";

  // maxmemory unset or above the host's RAM
  if (r.maxmemory === 0) {
    add(
      "maxmemory-unset",
      growth > 0 || host > 0 ? "high" : "medium",
      `maxmemory is not set: Redis grows until the host runs out of memory and the kernel's OOM killer stops it` +
        ` (simulated peak ${mb(peak)}${growth > 0 ? `, still growing by ${mb(growth * 3600)}/h` : ""}${host > 0 ? `; host RAM ${mb(host)}` : ""})`,
    );
  } else if (host > 0 && r.maxmemory > host) add("maxmemory-above-host", "high", `maxmemory ${mb(r.maxmemory)} is above the host's RAM ${mb(host)}: the OOM killer comes before eviction`);
  else if (host > 0 && r.maxmemory > 0.75 * host)
    add("maxmemory-no-headroom", "medium", `maxmemory ${mb(r.maxmemory)} leaves less than 25 % of the host's ${mb(host)} for fragmentation, copy-on-write and buffers`);

  // noeviction: growth toward maxmemory is the risk; when do writes fail?
  const oom = n(s.oom_rejected_writes);
  if (r.maxmemoryPolicy === "noeviction" && r.maxmemory > 0) {
    if (oom > 0)
      add("noeviction-full", "high", `noeviction: writes fail from ${fmtDuration(n(s.first_oom_s))} (simulated): ${count(oom)} writes rejected with -OOM in ${fmtDuration(duration)}; keys without a TTL keep arriving`);
    else if (growth > 0) {
      const left = (r.maxmemory - n(s.used_memory)) / growth;
      add("noeviction-growth", left < 24 * 3600 ? "high" : "medium", `noeviction: used_memory grows by ${mb(growth * 3600)}/h; at that rate writes start failing in about ${fmtDuration(duration + left)} from the start`);
    }
  }

  // volatile-*: only keys with a TTL can be evicted; the others are memory that is not cache
  if (r.maxmemoryPolicy.startsWith("volatile-") && r.maxmemory > 0) {
    const keys = n(s.keys), expires = n(s.expires);
    const share = keys > 0 ? expires / keys : 0;
    const plain = plainKeyGrowth(inp);
    if (oom > 0)
      add("volatile-without-ttl", "high", `${r.maxmemoryPolicy} can evict only keys with a TTL (${(share * 100).toFixed(0)} % of keys have one): writes fail from ${fmtDuration(n(s.first_oom_s))}, ${count(oom)} rejected — it behaves like noeviction`);
    else if (plain !== null) {
      // each key without a TTL displaces evictable ones until none is left: then -OOM
      const perKey = keys > 0 ? Math.max(1, (n(s.used_memory) - n(s.used_memory_startup)) / keys) : 1;
      const left = Math.max(0, (r.maxmemory - n(s.used_memory_startup)) / perKey - (keys - expires)) / plain;
      add(
        "volatile-growth",
        left < 24 * 3600 ? "high" : "medium",
        `${r.maxmemoryPolicy}: keys without a TTL grow by ${fmtFigure(plain)}/s (about ${mb(plain * perKey * 3600)}/h), memory that is not cache: it cannot evict them, so they push out the keys with a TTL and writes start failing with -OOM in about ${fmtDuration(duration + left)} from the start`,
      );
    } else if (share < 0.5) add("volatile-few-ttl", "medium", `${r.maxmemoryPolicy} with only ${(share * 100).toFixed(0)} % of keys carrying a TTL: once those are gone it behaves like noeviction`);
  }

  // a restart, crash or FLUSHALL in front of a database: the storm of misses
  risks.push(...restartStorms(inp));

  // stampedes: the herd one hot key's expiry sends to the database
  if (plan.app) risks.push(...hotKeyHerds(inp));
  else {
    // without a database nothing waits and no herd is simulated: judge by the scenario
    plan.workload.classes.forEach((c, i) => {
      const p = c.phases[0];
      const hot = p.popularity.kind !== 0 || (c.keys > 0 && c.keys <= 1000);
      const fixedTtl = !p.ttl.none && p.ttl.at(0) === p.ttl.at(0.999999);
      if (c.mode !== 0 || !hot || !fixedTtl || inp.inferredTtl?.has(i)) return;
      const one = c.keys === 1;
      add(
        "synchronized-ttl",
        "medium",
        `class ${c.name}: ${one ? "a hot key" : "hot keys"} with one fixed TTL (${fmtDuration(p.ttl.at(0) / 1000)}): ${one ? "its" : "each hot key's"} expiry sends every concurrent reader to the database at once` +
          ` (protect ${one ? "it" : "them"} with a lock, xfetch or stale-while-revalidate; TTL jitter only spreads expiries across keys, it cannot help ${one ? "one key" : "each key's own herd"}; add a database section to measure the herds)`,
      );
    });
  }

  // persistence
  const pp = plan.persistence;
  if (pp) {
    if (pp.appendonly && pp.appendfsync === FSYNC_ALWAYS && pp.fsync.mean >= 1000)
      add("appendfsync-always-slow-disk", "high", `appendfsync always on a disk whose fsync takes ${(pp.fsync.mean / 1000).toFixed(1)} ms on average: every write waits for it (simulated write p99 ${s.write_latency_p99_ms ?? "?"} ms)`);
    const forks = pp.savePoints.length > 0 || pp.appendonly || (sc.events ?? []).some((e) => e.action === "bgsave" || e.action === "bgrewriteaof");
    if (pp.pageSize > 4096 && forks)
      add("thp-with-fork", "high", `transparent huge pages with BGSAVE/AOF rewrite: each write after a fork copies 2 MiB; copy-on-write reached ${mb(n(s.cow_peak))} (disable THP: echo never > /sys/kernel/mm/transparent_hugepage/enabled)`);
    if (n(s.oom_kills) > 0) add("fork-oom", "high", `the host ran out of memory during a save: ${n(s.oom_kills)} child killed, ${n(s.misconf_rejected_writes)} writes refused with -MISCONF (RSS + copy-on-write peaked at ${mb(n(s.rss_peak))})`);
  }

  // an eviction policy at maxmemory is normal; a high steady eviction rate and a falling hit ratio are not
  if (evicts(plan) && steady) {
    const ev = num(s.steady_evicted_per_s), evCi = num(s.steady_evicted_per_s_ci95);
    const hr = num(s.steady_hit_ratio), hrCi = num(s.steady_hit_ratio_ci95);
    const reqRate = n(s.requests) / duration;
    const evLow = ev - (Number.isFinite(evCi) ? evCi : 0);
    const hitWords = Number.isFinite(hr) ? `; steady hit ratio ${fmtPercentCi(hr, hrCi)}` : "";
    if (Number.isFinite(ev) && evLow >= EVICTION_RATE_MIN && evLow >= EVICTION_SHARE_MIN * reqRate)
      add(
        "eviction-rate",
        "medium",
        `evicting ${fmtFigureCi(ev, evCi)} keys/s ${afterWarmup(s)}${Number.isFinite(evCi) ? " (95 % CI)" : ""}, one key for every ${(reqRate / ev).toFixed(1)} requests: the cache is too small for its working set${hitWords}`,
      );
    const whole = num(s.hit_ratio);
    if (Number.isFinite(hr) && Number.isFinite(whole) && whole - (hr + (Number.isFinite(hrCi) ? hrCi : 0)) >= HIT_RATIO_DROP) {
      const leaks = plan.workload.classes.filter((c) => c.keys < 0 && c.phases[0].ttl.none && c.phases.some((p) => p.newKeys > 0));
      add(
        "hit-ratio-drop",
        "medium",
        `the hit ratio falls to ${fmtPercentCi(hr, hrCi)} ${afterWarmup(s)}, from ${fmtPercent(whole)} over the whole run: the cache does not keep what it held at the start` +
          (leaks.length
            ? ` (class ${leaks.map((c) => c.name).join(", ")} writes new keys without a TTL: memory that is not cache, evicting cached keys to make room)`
            : ""),
      );
    }
  }

  return risks;
}

/**
 * Keys without a TTL (keys − expires) gained per second over the second half of the run, or null
 * when they do not grow (or the timeseries is not given).
 */
function plainKeyGrowth(inp: CheckInput): number | null {
  const t = inp.series?.time_s, k = inp.series?.keys, e = inp.series?.expires;
  if (!t || !k || !e || t.length < 4) return null;
  const a = Math.floor(t.length / 2), b = t.length - 1;
  if (t[b] <= t[a]) return null;
  const rate = (k[b] - e[b] - (k[a] - e[a])) / (t[b] - t[a]);
  return rate > 0 ? rate : null;
}

const EVENT_WORDS: Record<number, string> = { [EV_RESTART]: "restart", [EV_CRASH]: "crash", [EV_FLUSHALL]: "FLUSHALL" };

/**
 * After a restart, crash or FLUSHALL with a database behind the cache: the failed requests, timed-out
 * queries and the connection queue from the event until the storm is over (no queue above the level
 * before the event, no new failure or timeout for 3 intervals), and when the hit ratio was back.
 */
function restartStorms(inp: CheckInput): Risk[] {
  const { plan, summary: s, series } = inp;
  if (!plan.app || !series?.time_s) return [];
  const t = series.time_s;
  const col = (name: string) => series[name] ?? new Float64Array(t.length);
  const errors = col("app_errors"), timeouts = col("db_timeouts"), queue = col("db_queue_peak"), p99 = col("latency_p99_ms"), hit = col("hit_ratio");
  const events = plan.events.filter((e) => e.action in EVENT_WORDS).sort((a, b) => a.atUs - b.atUs);
  const out: Risk[] = [];
  events.forEach((e, k) => {
    const t0 = e.atUs / 1e6;
    const t1 = k + 1 < events.length ? events[k + 1].atUs / 1e6 : Infinity;
    const tPrev = k > 0 ? events[k - 1].atUs / 1e6 : -Infinity;
    // before: the intervals since the previous event; after: those ending after the event, up to the next one
    const before: number[] = [], after: number[] = [];
    for (let i = 0; i < t.length; i++) {
      if (t[i] <= t0 && t[i] > tPrev) before.push(i);
      else if (t[i] > t0 && t[i] <= t1) after.push(i);
    }
    if (after.length === 0) return;
    const at = (c: ArrayLike<number>) => (before.length ? c[before[before.length - 1]] : 0);
    const baseQueue = Math.max(0, ...before.map((i) => queue[i]));
    const baseHit = mean(before.map((i) => hit[i]));
    const baseP99 = median(before.map((i) => p99[i]));
    const bad = (i: number) => queue[i] > baseQueue || errors[i] > (i > 0 ? errors[i - 1] : 0) || timeouts[i] > (i > 0 ? timeouts[i - 1] : 0);
    const first = after.findIndex(bad);
    if (first < 0) return;
    let last = first;
    for (let j = first + 1; j < after.length && j - last <= 3; j++) if (bad(after[j])) last = j;
    const storm = after.slice(first, last + 1);
    const end = t[storm[storm.length - 1]];
    const failed = errors[storm[storm.length - 1]] - at(errors);
    const timedOut = timeouts[storm[storm.length - 1]] - at(timeouts);
    const qPeak = Math.max(...storm.map((i) => queue[i]));
    const pPeak = Math.max(...storm.map((i) => p99[i]).filter((x) => Number.isFinite(x)), 0);
    const what = EVENT_WORDS[e.action];
    const down = e.action === EV_FLUSHALL ? "" : `${fmtDuration(e.downtimeUs / 1e6)} down, `;
    const state = e.action === EV_FLUSHALL ? "the cache emptied" : plan.persistence ? "reloading its data" : e.keys > 0 ? `back with ${fmtPercent(e.keys)} of the keys` : "back empty";
    const harm: string[] = [];
    if (failed > 0) harm.push(`${count(failed)} application requests failed`);
    if (timedOut > 0) harm.push(`${count(timedOut)} database queries timed out`);
    const connections = n(s.db_connections);
    let msg = `the ${what} at ${fmtDuration(t0)} (${down}${state}) sent the misses to the database: `;
    msg += harm.length ? `${harm.join(" and ")} between ${fmtDuration(t0)} and ${fmtDuration(end)}, ` : `from ${fmtDuration(t0)} to ${fmtDuration(end)} `;
    msg += `up to ${count(qPeak)} queries waited for ${connections > 0 ? `${count(connections)} connections` : "a connection"}`;
    if (pPeak > 0) msg += ` (p99 latency ${count(pPeak)} ms${Number.isFinite(baseP99) ? ` against ${fmtFigure(baseP99)} ms before` : ""})`;
    if (Number.isFinite(baseHit)) {
      const back = after.find((i) => t[i] > t0 && Number.isFinite(hit[i]) && hit[i] >= baseHit - 0.01);
      msg += back !== undefined ? `; the hit ratio was back to ${fmtPercent(hit[back])} at ${fmtDuration(t[back])}` : `; the hit ratio was not back to ${fmtPercent(baseHit)} by ${fmtDuration(t[after[after.length - 1]])}`;
    }
    const advice: string[] = [];
    if (e.action !== EV_FLUSHALL && e.keys === 0) advice.push(`load the hottest keys as it comes back (keys: 20 % on the ${what} event)`);
    if (e.action !== EV_FLUSHALL && !plan.persistence) advice.push("keep the data across restarts (RDB or AOF)");
    if (plan.app!.retry.max > 0 && timedOut > 0) advice.push("retry less into a saturated pool");
    if (advice.length === 0) advice.push("add database connections or coalesce requests per key");
    msg += `; ${advice.join(", ")}`;
    out.push({ id: "restart-storm", severity: failed > 0 || timedOut > 0 ? "high" : "medium", message: msg });
  });
  return out;
}

const mean = (xs: number[]) => {
  const v = xs.filter((x) => Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
};
const median = (xs: number[]) => {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  return v.length ? v[Math.floor(v.length / 2)] : NaN;
};

const CLASS_AT = Object.fromEntries(CLASS_COLUMNS.map((c, i) => [c.name, i])) as Record<(typeof CLASS_COLUMNS)[number]["name"], number>;

/**
 * Per class, the herds one key's miss sends to the database (cold herds, after a restart or a flush,
 * are the restart storm's): a herd of HERD_MIN queries or more is a stampede. The advice follows the
 * mitigation: ttl-jitter spreads expiries across keys and cannot help one hot key, so it is never the
 * advice for a herd; a lock (single flight), xfetch or stale-while-revalidate is.
 */
function hotKeyHerds(inp: CheckInput): Risk[] {
  const { plan, summary: s, classes, herds } = inp;
  if (!classes) return [];
  const out: Risk[] = [];
  const connections = n(s.db_connections);
  plan.workload.classes.forEach((c, i) => {
    const row = classes[i];
    if (!row || c.mode !== 0) return;
    let max: number, count_: number, queries: number;
    if (herds) {
      const mine = herds.filter((h) => h.cls === i && h.cause !== "cold");
      max = Math.max(0, ...mine.map((h) => h.max));
      count_ = mine.reduce((a, h) => a + h.count, 0);
      queries = mine.reduce((a, h) => a + h.queries, 0);
    } else {
      max = n(row[CLASS_AT.herd_max]);
      count_ = n(row[CLASS_AT.herds]);
      queries = n(row[CLASS_AT.herd_mean]) * count_;
    }
    if (max < HERD_MIN) return;
    const kind = plan.app!.mitigation[i]?.kind ?? MIT_NONE;
    const peak = n(row[CLASS_AT.peak_concurrent_queries]);
    const errors = n(row[CLASS_AT.errors]);
    const p999 = num(row[CLASS_AT.latency_p999_ms]);
    const keyWords = c.keys === 1 ? "its one key" : "a hot key";
    const protect = "a lock (single flight), xfetch or stale-while-revalidate";
    let advice: string;
    if (kind === MIT_TTL_JITTER)
      advice = `ttl-jitter spreads the expiries of many keys and cannot help ${c.keys === 1 ? "one hot key" : "each hot key's own herd"}: use ${protect} instead`;
    else if (kind === MIT_NONE) advice = `no stampede protection: use ${protect}`;
    else if (kind === MIT_LOCK) advice = `the lock does not hold the herd back (lock-ttl shorter than the query, or holders that die): lengthen lock-ttl, or use xfetch or stale-while-revalidate`;
    else if (kind === MIT_XFETCH) advice = `xfetch recomputes too late at this rate (raise beta), or use a lock`;
    else advice = kind === MIT_SWR ? `the stale window is shorter than the refresh: lengthen stale, or refresh through a lock` : `use ${protect}`;
    const mit = MITIGATIONS[kind] ?? "none";
    const high = errors > 0 || (connections > 0 && max >= connections);
    out.push({
      id: "hot-key-herd",
      severity: high ? "high" : "medium",
      message:
        `class ${c.name} (mitigation ${mit}, ${c.keys === 1 ? "1 key" : `${c.keys < 0 ? "unbounded" : count(c.keys)} keys`}): each expiry of ${keyWords} sends up to ${count(max)} queries for it to the database at once` +
        ` (${count(count_)} herds, ${fmtFigure(count_ > 0 ? queries / count_ : 0)} queries on average; at most ${count(peak)} of the class's queries in flight` +
        `${connections > 0 ? ` on ${count(connections)} connections` : ""}${Number.isFinite(p999) ? `, p99.9 ${fmtFigure(p999)} ms` : ""}${errors > 0 ? `, ${count(errors)} requests failed` : ""}): ${advice}`,
    });
  });
  return out;
}

/** The checks `sim check` makes, by id, for the report of what passed. */
export const CHECKS = [
  "maxmemory-unset / -above-host / -no-headroom",
  "noeviction-full / -growth",
  "volatile-without-ttl / -growth / -few-ttl",
  "restart-storm",
  "hot-key-herd / synchronized-ttl",
  "appendfsync-always-slow-disk",
  "thp-with-fork",
  "fork-oom",
  "eviction-rate (steady state)",
  "hit-ratio-drop (steady state)",
];
