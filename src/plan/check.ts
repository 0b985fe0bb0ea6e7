import type { Summary } from "../metrics/columns.ts";
import type { Plan } from "../scenario/compile.ts";
import type { Scenario } from "../scenario/schema.ts";
import { FSYNC_ALWAYS } from "../redis/persistence.ts";

/*
 * `sim check`: the production risks behind most Redis pager calls, each judged from the scenario and,
 * where it takes a simulation to know (when do writes fail? how fast does it evict?), from a run of it.
 * Pure: the CLI runs the scenario and passes the summary and the timeseries' memory column in.
 */

export type Severity = "high" | "medium";

export interface Risk {
  id: string;
  severity: Severity;
  /** One line: the risk and its evidence. */
  message: string;
}

export interface CheckInput {
  scenario: Scenario;
  plan: Plan;
  summary: Summary;
  /** used_memory at each sample time (s, bytes), for the growth trend. */
  memory: { t: number; used: number }[];
}

/** "6 h 53 min", "12 min", "45 s". */
export function human(s: number): string {
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  const h = Math.floor(s / 3600);
  const m = Math.round((s - h * 3600) / 60);
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(b < 10 * 1024 * 1024 ? 2 : 0)} MB`;
const n = (x: unknown) => Number(x) || 0;

/** The growth rate of used_memory over the second half of the run, bytes/s (0 when flat or falling). */
export function growthRate(memory: { t: number; used: number }[]): number {
  if (memory.length < 4) return 0;
  const half = memory.slice(Math.floor(memory.length / 2));
  const a = half[0], b = half[half.length - 1];
  return b.t > a.t ? Math.max(0, (b.used - a.used) / (b.t - a.t)) : 0;
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

  // noeviction: when do writes fail?
  const oom = n(s.oom_rejected_writes);
  if (r.maxmemoryPolicy === "noeviction" && r.maxmemory > 0) {
    if (oom > 0)
      add("noeviction-full", "high", `noeviction: writes fail from ${human(n(s.first_oom_s))} (simulated): ${oom.toLocaleString("en-US")} writes rejected with -OOM in ${human(duration)}; keys without a TTL keep arriving`);
    else if (growth > 0) {
      const left = (r.maxmemory - n(s.used_memory)) / growth;
      add("noeviction-growth", left < 24 * 3600 ? "high" : "medium", `noeviction: used_memory grows by ${mb(growth * 3600)}/h; at that rate writes start failing in about ${human(duration + left)} from the start`);
    }
  }

  // volatile-* with few keys that have a TTL
  if (r.maxmemoryPolicy.startsWith("volatile-") && r.maxmemory > 0) {
    const keys = n(s.keys), expires = n(s.expires);
    const share = keys > 0 ? expires / keys : 0;
    if (oom > 0)
      add("volatile-without-ttl", "high", `${r.maxmemoryPolicy} can evict only keys with a TTL (${(share * 100).toFixed(0)} % of keys have one): writes fail from ${human(n(s.first_oom_s))}, ${oom.toLocaleString("en-US")} rejected — it behaves like noeviction`);
    else if (share < 0.5) add("volatile-few-ttl", "medium", `${r.maxmemoryPolicy} with only ${(share * 100).toFixed(0)} % of keys carrying a TTL: once those are gone it behaves like noeviction`);
  }

  // identical TTLs on hot keys: stampede risk
  for (const c of plan.workload.classes) {
    const p = c.phases[0];
    const hot = p.popularity.kind !== 0 || (c.keys > 0 && c.keys <= 1000);
    const fixedTtl = !p.ttl.none && p.ttl.at(0) === p.ttl.at(0.999999);
    const mitigation = plan.app?.mitigation[plan.workload.classes.indexOf(c)]?.kind ?? 0;
    if (c.mode === 0 && hot && fixedTtl && mitigation === 0)
      add("synchronized-ttl", "medium", `class ${c.name}: hot keys with one fixed TTL (${human(p.ttl.at(0) / 1000)}) and no stampede protection: each hot key's expiry sends every concurrent reader to the database (add jitter, a lock or xfetch; see scenarios/stampede.yaml)`);
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

  // eviction rate
  const evictRate = n(s.evicted_keys) / duration;
  if (evictRate > 100) add("eviction-rate", "medium", `evicting ${evictRate.toFixed(0)} keys/s on average (above 100/s): the cache is too small for its working set; hit ratio ${s.hit_ratio}`);

  return risks;
}

/** The checks `sim check` makes, by id, for the report of what passed. */
export const CHECKS = [
  "maxmemory-unset / -above-host / -no-headroom",
  "noeviction-full / -growth",
  "volatile-without-ttl / -few-ttl",
  "synchronized-ttl",
  "appendfsync-always-slow-disk",
  "thp-with-fork",
  "fork-oom",
  "eviction-rate",
];
