import { US_PER_S } from "../core/time.ts";
import { SUMMARY_COLUMNS, TIMESERIES_COLUMNS } from "../metrics/columns.ts";
import type { RedisServer } from "../redis/server.ts";
import { bindColumns, round6, type BoundColumn, type Part, type SummaryFields } from "./part.ts";
import type { Sampler } from "./sampling.ts";

/*
 * The servers' part: INFO's figures (keyspace hits and misses, used_memory, keys, evicted and expired
 * keys, OOM rejections) as timeseries columns and summary fields. It holds every server of the run and
 * reports their sum (a standalone run has one); under spatial sampling it scales them back (Sampler).
 */

/** What the runner counts for the servers' columns. */
export interface Traffic {
  /** Requests applied (kept ones under sampling). */
  readonly requests: number;
  /** Simulated time of the first -OOM rejection, −1 if none. */
  readonly firstOomUs: number;
}

/** The run's identity, as the summary names it. */
export interface RunIdentity {
  readonly scenario: string;
  readonly seed: string | number;
  readonly maxmemoryPolicy: string;
  /** maxmemory as configured (the sampled run's is scaled: Sampler.scaled). */
  readonly maxmemory: number;
}


export class ServerPart implements Part {
  readonly columns: readonly BoundColumn[];
  private t = 0;
  private dt = 0;
  private last = { t: 0, seen: 0, seenReads: 0, keptReads: 0, requests: 0, cmds: 0, hits: 0, misses: 0, evicted: 0, expired: 0 };

  readonly servers: readonly RedisServer[];
  private readonly sampler: Sampler;
  private readonly traffic: Traffic;
  private readonly id: RunIdentity;

  constructor(servers: readonly RedisServer[], sampler: Sampler, traffic: Traffic, id: RunIdentity) {
    this.servers = servers;
    this.sampler = sampler;
    this.traffic = traffic;
    this.id = id;
    const s = this.sampler;
    const perSec = (x: number) => (this.dt > 0 ? round6(s.n(x) / this.dt) : 0);
    this.columns = bindColumns(TIMESERIES_COLUMNS, {
      time_s: () => this.t / US_PER_S,
      requests: () => (s.active ? s.seen - this.last.seen : this.traffic.requests - this.last.requests),
      ops_per_sec: () => perSec(this.stat("total_commands_processed") - this.last.cmds),
      keyspace_hits: () => s.n(this.hits()),
      keyspace_misses: () => s.n(this.stat("keyspace_misses")),
      hit_ratio: () => {
        const last = this.last;
        const adj = s.adjustment(s.seenReads - last.seenReads, s.keptReads - last.keptReads);
        const dh = Math.max(0, this.stat("keyspace_hits") - last.hits + adj), dm = this.stat("keyspace_misses") - last.misses;
        return dh + dm > 0 ? round6(dh / (dh + dm)) : NaN;
      },
      used_memory: () => s.bytes(this.sum((x) => x.used)),
      used_memory_peak: () => s.bytes(this.stat("used_memory_peak")),
      maxmemory: () => this.id.maxmemory,
      keys: () => s.n(this.sum((x) => x.ks.keys)),
      expires: () => s.n(this.sum((x) => x.ks.volatileKeys)),
      evicted_keys: () => s.n(this.stat("evicted_keys")),
      expired_keys: () => s.n(this.stat("expired_keys")),
      evicted_per_sec: () => perSec(this.stat("evicted_keys") - this.last.evicted),
      expired_per_sec: () => perSec(this.stat("expired_keys") - this.last.expired),
      oom_rejected_writes: () => s.n(this.stat("oom_rejected_writes")),
    });
  }

  /** FLUSHALL: every server empties its databases (before the other parts hear of it). */
  readonly on = {
    flushall: () => {
      for (const server of this.servers) server.flushall();
    },
  };

  /** The sum over the servers of `f`. */
  private sum(f: (server: RedisServer) => number): number {
    const servers = this.servers;
    if (servers.length === 1) return f(servers[0]);
    let x = 0;
    for (const server of servers) x += f(server);
    return x;
  }

  /** The sum over the servers of one INFO counter. */
  private stat(name: "total_commands_processed" | "keyspace_hits" | "keyspace_misses" | "evicted_keys" | "expired_keys" | "oom_rejected_writes" | "used_memory_peak"): number {
    return this.sum((x) => x.stats[name]);
  }

  /** Keyspace hits, with SHARDS-adj's correction under sampling (Sampler.adjustment), never below zero. */
  private hits(): number {
    const s = this.sampler;
    return Math.max(0, this.stat("keyspace_hits") + s.adjustment(s.seenReads, s.keptReads));
  }

  sampling(t: number): void {
    this.dt = (t - this.last.t) / US_PER_S;
    this.t = t;
  }

  sampled(t: number): void {
    const s = this.sampler;
    this.last = {
      t,
      seen: s.seen,
      seenReads: s.seenReads,
      keptReads: s.keptReads,
      requests: this.traffic.requests,
      cmds: this.stat("total_commands_processed"),
      hits: this.stat("keyspace_hits"),
      misses: this.stat("keyspace_misses"),
      evicted: this.stat("evicted_keys"),
      expired: this.stat("expired_keys"),
    };
  }

  summary(endUs: number): SummaryFields<typeof SUMMARY_COLUMNS> {
    const s = this.sampler, id = this.id, servers = this.servers;
    const hits = this.hits(), misses = this.stat("keyspace_misses");
    return {
      scenario: id.scenario,
      seed: id.seed,
      maxmemory_policy: id.maxmemoryPolicy,
      maxmemory: id.maxmemory,
      duration_s: endUs / US_PER_S,
      requests: s.active ? s.seen : this.traffic.requests,
      total_commands_processed: s.n(this.stat("total_commands_processed")),
      keyspace_hits: s.n(hits),
      keyspace_misses: s.n(misses),
      hit_ratio: hits + misses > 0 ? round6(hits / (hits + misses)) : "",
      evicted_keys: s.n(this.stat("evicted_keys")),
      expired_keys: s.n(this.stat("expired_keys")),
      oom_rejected_writes: s.n(this.stat("oom_rejected_writes")),
      first_oom_s: this.traffic.firstOomUs >= 0 ? this.traffic.firstOomUs / US_PER_S : "",
      used_memory: s.bytes(this.sum((x) => x.used)),
      used_memory_peak: s.bytes(this.stat("used_memory_peak")),
      used_memory_startup: this.sum((x) => x.mem.startup),
      keys: s.n(this.sum((x) => x.ks.keys)),
      expires: s.n(this.sum((x) => x.ks.volatileKeys)),
      // an EWMA per server: their mean
      expired_stale_perc: round6((this.sum((x) => x.stats.expired_stale_perc) / servers.length) * 100),
      expired_time_cap_reached_count: this.sum((x) => x.stats.expired_time_cap_reached_count),
      total_eviction_exceeded_time: Math.round(
        this.sum((x) => x.stats.total_eviction_exceeded_us + (x.exceededSince >= 0 ? endUs - x.exceededSince : 0)) / 1000,
      ),
    };
  }
}
