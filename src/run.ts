import { Streams } from "./core/random.ts";
import { Sim } from "./core/sim.ts";
import { US_PER_S } from "./core/time.ts";
import { TIMESERIES_COLUMNS, type Summary } from "./metrics/columns.ts";
import { RedisServer, WRITE_OOM } from "./redis/server.ts";
import type { Plan } from "./scenario/compile.ts";
import { Generator } from "./workload/generator.ts";
import { OP_CACHE_GET, OP_DEL, OP_GET, Request, type KeyRegistry, type RequestSource } from "./workload/request.ts";

/*
 * runPlan: wires the kernel, the modelled server and a request source, and reports rows and a summary.
 * No file access and no wall clock: the CLI passes sinks and a progress callback.
 */

export interface RunOptions {
  /** Scenario name for the summary. */
  name?: string;
  /** The request source for trace workloads (made by the caller, which owns the file). */
  source?: (reg: KeyRegistry) => RequestSource;
  /** Receives each timeseries row, values in TIMESERIES_COLUMNS order. */
  onRow?: (row: number[]) => void;
  /** Called every 65 536 requests with the simulated time and the run's duration (µs). */
  onProgress?: (nowUs: number, durationUs: number, requests: number) => void;
}

export interface RunResult {
  summary: Summary;
  server: RedisServer;
  rows: number;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

export function runPlan(plan: Plan, opts: RunOptions = {}): RunResult {
  const sim = new Sim();
  const streams = new Streams(plan.seed);
  const server = new RedisServer(plan.redis, sim, streams);
  const source = plan.workload.kind === "trace" ? opts.source?.(server) : new Generator(plan, streams, server);
  if (!source) throw new Error("a trace workload needs a request source");

  // ---- sampling -------------------------------------------------------------------------------------
  const st = server.stats;
  let requests = 0;
  let last = { t: 0, requests: 0, cmds: 0, hits: 0, misses: 0, evicted: 0, expired: 0 };
  let rows = 0;
  const sample = (): void => {
    const t = sim.now;
    const dt = (t - last.t) / US_PER_S;
    const dh = st.keyspace_hits - last.hits, dm = st.keyspace_misses - last.misses;
    const row = [
      t / US_PER_S,
      requests - last.requests,
      dt > 0 ? round6((st.total_commands_processed - last.cmds) / dt) : 0,
      st.keyspace_hits,
      st.keyspace_misses,
      dh + dm > 0 ? round6(dh / (dh + dm)) : NaN,
      server.used,
      st.used_memory_peak,
      server.maxmemory,
      server.ks.keys,
      server.ks.volatileKeys,
      st.evicted_keys,
      st.expired_keys,
      dt > 0 ? round6((st.evicted_keys - last.evicted) / dt) : 0,
      dt > 0 ? round6((st.expired_keys - last.expired) / dt) : 0,
      st.oom_rejected_writes,
    ];
    if (row.length !== TIMESERIES_COLUMNS.length) throw new Error("timeseries row does not match its columns");
    last = { t, requests, cmds: st.total_commands_processed, hits: st.keyspace_hits, misses: st.keyspace_misses, evicted: st.evicted_keys, expired: st.expired_keys };
    rows++;
    opts.onRow?.(row);
  };
  const sampleKind = sim.on(() => {
    sample();
    if (sim.now + plan.intervalUs <= plan.durationUs) sim.after(plan.intervalUs, sampleKind);
  });
  if (plan.intervalUs <= plan.durationUs) sim.at(plan.intervalUs, sampleKind);

  // ---- the request loop -----------------------------------------------------------------------------
  const req = new Request();
  const end = plan.durationUs;
  let firstOomUs = -1;
  let lastT = 0;
  while (source.next(req)) {
    if (req.t >= end) break;
    if (req.t < lastT) throw new Error(`requests out of time order at ${req.t} µs`);
    lastT = req.t;
    if (sim.nextEventTime() <= req.t) sim.advanceTo(req.t);
    else sim.now = req.t;
    const key = req.key;
    let result = 0;
    switch (req.op) {
      case OP_CACHE_GET:
        if (!server.get(key)) {
          source.fill(req);
          result = server.set(key, req.vlen, -1, req.ttlMs);
        }
        break;
      case OP_GET:
        server.get(key);
        break;
      case OP_DEL:
        server.del(key);
        break;
      default:
        result = server.set(key, req.vlen, -1, req.ttlMs);
    }
    if (result === WRITE_OOM && firstOomUs < 0) firstOomUs = sim.now;
    if ((++requests & 0xffff) === 0) opts.onProgress?.(sim.now, end, requests);
  }
  // A trace without a duration ends at its last request (rounded up to a whole interval for the last row).
  const endUs = end === Infinity ? lastT : end;
  sim.advanceTo(endUs);
  if (last.t < endUs || rows === 0) sample();

  const hits = st.keyspace_hits, misses = st.keyspace_misses;
  const summary: Summary = {
    scenario: opts.name ?? "scenario",
    seed: plan.seed,
    maxmemory_policy: plan.redis.maxmemoryPolicy,
    maxmemory: plan.redis.maxmemory,
    duration_s: endUs / US_PER_S,
    requests,
    total_commands_processed: st.total_commands_processed,
    keyspace_hits: hits,
    keyspace_misses: misses,
    hit_ratio: hits + misses > 0 ? round6(hits / (hits + misses)) : "",
    evicted_keys: st.evicted_keys,
    expired_keys: st.expired_keys,
    oom_rejected_writes: st.oom_rejected_writes,
    first_oom_s: firstOomUs >= 0 ? firstOomUs / US_PER_S : "",
    used_memory: server.used,
    used_memory_peak: st.used_memory_peak,
    used_memory_startup: server.mem.startup,
    keys: server.ks.keys,
    expires: server.ks.volatileKeys,
    expired_stale_perc: round6(st.expired_stale_perc * 100),
    expired_time_cap_reached_count: st.expired_time_cap_reached_count,
    total_eviction_exceeded_time: Math.round(
      (st.total_eviction_exceeded_us + (server.exceededSince >= 0 ? endUs - server.exceededSince : 0)) / 1000,
    ),
  };
  return { summary, server, rows };
}
