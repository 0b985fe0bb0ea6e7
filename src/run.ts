import { Streams } from "./core/random.ts";
import { Sim } from "./core/sim.ts";
import { US_PER_S } from "./core/time.ts";
import { APP_SUMMARY_COLUMNS, APP_TIMESERIES_COLUMNS, CLASS_COLUMNS, PERSISTENCE_SUMMARY_COLUMNS, timeseriesColumns, type Summary } from "./metrics/columns.ts";
import { CacheAside, type Herd, type Histogram } from "./app/cache-aside.ts";
import { EV_BGREWRITEAOF, EV_BGSAVE, EV_CRASH, EV_FLUSHALL, EV_PREWARM, EV_RESTART, MITIGATION_NAMES, type EventPlan } from "./scenario/compile.ts";
import { Persistence } from "./redis/persistence.ts";
import { MemoryModel } from "./redis/memory.ts";
import { CMD_DEL, CMD_GET, CMD_SET, RedisServer, WRITE_OOM, type WarmKeys } from "./redis/server.ts";
import { MODE_CACHE_ASIDE, type Plan } from "./scenario/compile.ts";
import { Generator } from "./workload/generator.ts";
import { OP_CACHE_GET, OP_DEL, OP_GET, Request, type KeyRegistry, type RequestSource } from "./workload/request.ts";
import type { TraceBatch, TraceReader } from "./workload/trace.ts";
import { materialize } from "./workload/materialize.ts";
import { InputError } from "./errors.ts";
import { HARD_ROWS } from "./scenario/bounds.ts";
import { SeriesBuffer, steadyColumns, steadyState } from "./metrics/steady.ts";
import { MAX_VALUE_BYTES } from "./scenario/schema.ts";

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
  /** With a database: receives every herd (the DB queries of one key's miss cycle) and its key's name. */
  onHerd?: (herd: Herd, key: string) => void;
  /**
   * For runPlanYielding: hands control back to the host every few thousand requests and every
   * simulated minute without requests, so that it can stop the run (Ctrl-C: the promise rejects) or draw
   * progress. The model never reads a clock; the host decides how often it really yields.
   */
  pause?: () => Promise<void>;
  /** Told when a prewarm at 0 s starts loading (runPlanYielding): it can take seconds. */
  onPrewarm?: (fraction: number) => void;
}

export interface RunResult {
  summary: Summary;
  server: RedisServer;
  rows: number;
  /** With a database: one row per key class, values in CLASS_COLUMNS order. */
  classes?: (string | number)[][];
  app?: CacheAside;
}

const ms3 = (us: number) => Math.round(us) / 1000;
const pct = (h: Histogram, p: number) => (h.totalCount > 0 ? ms3(h.getValueAtPercentile(p)) : "");

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** Where the steady-state analysis finds its values in a timeseries row (the app columns follow the base ones). */
const COL = (() => {
  const names = timeseriesColumns(true, false).map((c) => c.name as string);
  const at = (n: string) => {
    const i = names.indexOf(n);
    if (i < 0) throw new Error(`no timeseries column ${n}`);
    return i;
  };
  return {
    t: at("time_s"), hits: at("keyspace_hits"), misses: at("keyspace_misses"), evicted: at("evicted_keys"), expired: at("expired_keys"),
    oom: at("oom_rejected_writes"), used: at("used_memory"), p50: at("latency_p50_ms"), p99: at("latency_p99_ms"), completed: at("app_completed"),
  };
})();

/**
 * One run in progress: the kernel, the server, sampling and counters. Requests are fed one at a time
 * (`feed`, from a RequestSource) or a batch at a time (`feedBatch`, from a trace reader); `finish`
 * samples the last row and returns the summary.
 */
export class Runner {
  readonly sim = new Sim();
  readonly streams: Streams;
  readonly server: RedisServer;
  readonly plan: Plan;
  private readonly opts: RunOptions;
  requests = 0;
  /** Under sampling: requests offered (kept or not), and reads offered and kept. */
  seen = 0;
  seenReads = 0;
  keptReads = 0;
  firstOomUs = -1;
  lastT = 0;
  rows = 0;
  private last = { t: 0, seen: 0, seenReads: 0, keptReads: 0, requests: 0, cmds: 0, hits: 0, misses: 0, evicted: 0, expired: 0, completed: 0, dbStarted: 0, dbBusy: 0 };
  /** The cache-aside clients and database (scenarios with a `database` section). */
  app: CacheAside | null = null;
  /** Per-interval values for the steady-state analysis (metrics/steady.ts). */
  private readonly series: SeriesBuffer;
  private readonly columns: number;
  private peaks = { inFlight: 0, active: 0, queue: 0 };
  /** Requests refused while the server was down or loading (restart, crash), without a database model. */
  loadingRejected = 0;
  writesLost = 0;
  lastLoadUs = -1;
  private lastForkUs = 0;
  private lastForks = 0;
  private rssPeak = 0;
  private cowPeak = 0;
  /** For prewarm: visits the hottest keys (generated workloads), and the source that sizes values. */
  private hottest: Generator["hottestSteps"] | null = null;
  private source: RequestSource | null = null;

  /*
   * Spatial sampling (SHARDS: C. Waldspurger et al., "Efficient MRC construction with SHARDS", FAST'15):
   * a key takes part iff a hash of its id falls below rate × 2^32, so each key is in or out for the
   * whole run and every request for a kept key is kept. The dataset part of maxmemory (above the
   * fixed baseline: startup, clients, command histograms) is scaled by the rate, and counts and memory
   * are scaled back when reported. Bucket arrays then step at other key counts than in the full run:
   * a small error, bounded by the test in test/sampling.test.ts.
   */
  private readonly keepBelow: number;
  private readonly sampleSalt: number;
  private readonly fixedBytes: number;
  private readonly inv: number;

  constructor(plan: Plan, opts: RunOptions = {}) {
    this.plan = plan;
    this.opts = opts;
    this.streams = new Streams(plan.seed);
    const rate = plan.sampling;
    const mem = new MemoryModel(plan.redis.allocator, plan.redis.memoryAccounting);
    this.fixedBytes = mem.startup + plan.redis.clients * mem.clientBytes + commandsUsed(plan) * mem.histogramBytes;
    this.inv = 1 / rate;
    const redis =
      rate < 1 && plan.redis.maxmemory > this.fixedBytes
        ? { ...plan.redis, maxmemory: Math.round(this.fixedBytes + rate * (plan.redis.maxmemory - this.fixedBytes)) }
        : plan.redis;
    this.keepBelow = rate >= 1 ? Infinity : Math.floor(rate * 4294967296);
    this.sampleSalt = this.streams.get("sampling").u32() | 0;
    this.server = new RedisServer(redis, this.sim, this.streams);
    if (plan.persistence) this.server.persistence = new Persistence(plan.persistence, this.server, this.sim, this.streams.get("disk"), this.streams.get("cow").u32() | 0);
    this.columns = timeseriesColumns(plan.app !== undefined, plan.persistence !== undefined).length;
    this.series = new SeriesBuffer(plan.app !== undefined);
    this.endUs = plan.durationUs === Infinity ? HARD_ROWS * plan.intervalUs : plan.durationUs;
    const sim = this.sim;
    const eventKind = sim.on((i) => {
      if (!this.preempted.has(i)) this.fire(plan.events[i]);
    });
    plan.events.forEach((e, i) => sim.at(e.atUs, eventKind, i));
    this.prewarmKind = sim.on((f) => this.prewarm(f));
    const sampleKind = sim.on(() => {
      this.sample();
      if (sim.now + plan.intervalUs <= plan.durationUs) sim.after(plan.intervalUs, sampleKind);
    });
    if (plan.intervalUs <= plan.durationUs) sim.at(plan.intervalUs, sampleKind);
  }

  /**
   * SHARDS-adj (Waldspurger et al., FAST'15 §4.3): the sample holds rate × offered reads only in
   * expectation. Under skew the difference comes mostly from whether the few hottest keys fell in the
   * sample, and those keys are hits, so the difference in *reads* is added to the hits (or taken from
   * them, never below zero). Without it a 10 % sample of a Zipf(1.0) workload read 4 pp low on the
   * bench case. Writes (SET, DEL) are not lookups that hit or miss and take no part.
   */
  private adjustment(offered: number, sampled: number): number {
    return this.inv === 1 ? 0 : offered / this.inv - sampled;
  }

  /** A count of the sampled run as a count of the full workload. */
  private n(x: number): number {
    return this.inv === 1 ? x : Math.round(x * this.inv);
  }

  /** Bytes of the sampled run as bytes of the full workload (the fixed baseline is not scaled). */
  private bytes(x: number): number {
    return this.inv === 1 || x <= this.fixedBytes ? x : Math.round(this.fixedBytes + (x - this.fixedBytes) * this.inv);
  }

  private sample(): void {
    const { sim, server } = this;
    const st = server.stats;
    const last = this.last;
    const t = sim.now;
    const dt = (t - last.t) / US_PER_S;
    const adj = this.adjustment(this.seenReads - last.seenReads, this.keptReads - last.keptReads);
    const dh = Math.max(0, st.keyspace_hits - last.hits + adj), dm = st.keyspace_misses - last.misses;
    const row = [
      t / US_PER_S,
      this.inv === 1 ? this.requests - last.requests : this.seen - last.seen,
      dt > 0 ? round6(this.n(st.total_commands_processed - last.cmds) / dt) : 0,
      this.n(Math.max(0, st.keyspace_hits + this.adjustment(this.seenReads, this.keptReads))),
      this.n(st.keyspace_misses),
      dh + dm > 0 ? round6(dh / (dh + dm)) : NaN,
      this.bytes(server.used),
      this.bytes(st.used_memory_peak),
      this.plan.redis.maxmemory,
      this.n(server.ks.keys),
      this.n(server.ks.volatileKeys),
      this.n(st.evicted_keys),
      this.n(st.expired_keys),
      dt > 0 ? round6(this.n(st.evicted_keys - last.evicted) / dt) : 0,
      dt > 0 ? round6(this.n(st.expired_keys - last.expired) / dt) : 0,
      this.n(st.oom_rejected_writes),
    ];
    const app = this.app;
    if (app !== null) {
      const db = app.db, h = app.intervalLatency;
      const busy = db.busy(t);
      const started = db.started - last.dbStarted;
      row.push(
        app.completed - last.completed,
        h.totalCount > 0 ? ms3(h.getValueAtPercentile(50)) : NaN,
        h.totalCount > 0 ? ms3(h.getValueAtPercentile(99)) : NaN,
        h.totalCount > 0 ? ms3(h.getValueAtPercentile(99.9)) : NaN,
        h.totalCount > 0 ? ms3(h.maxValue) : NaN,
        started,
        dt > 0 ? round6(started / dt) : 0,
        db.peakInSystem,
        db.peakActive,
        db.peakWaiting,
        dt > 0 ? round6((busy - last.dbBusy) / (db.cfg.connections * (t - last.t))) : 0,
        db.poolTimeouts + db.queryTimeouts,
        app.retries,
        app.errors,
        app.intervalHerdMax,
        app.staleServed,
        app.redisErrors,
      );
      this.peaks.inFlight = Math.max(this.peaks.inFlight, db.peakInSystem);
      this.peaks.active = Math.max(this.peaks.active, db.peakActive);
      this.peaks.queue = Math.max(this.peaks.queue, db.peakWaiting);
      db.resetPeaks();
      h.reset();
      app.intervalHerdMax = 0;
    } else if (this.plan.app !== undefined) row.push(...new Array(APP_TIMESERIES_COLUMNS.length).fill(NaN));
    const p = this.server.persistence;
    if (p !== null) {
      const cow = p.cowBytes;
      const rss = p.rssParent + cow;
      if (rss > this.rssPeak) this.rssPeak = rss;
      if (p.cowPeak > this.cowPeak) this.cowPeak = p.cowPeak;
      const forks = p.totalForks - this.lastForks;
      const wl = p.intervalWriteLatency, fl = p.intervalFsyncLatency;
      row.push(
        p.child === 1 ? 1 : 0,
        p.child === 2 ? 1 : 0,
        forks > 0 ? ms3(p.latestForkUs * forks) : 0,
        cow,
        rss,
        p.aofBuf,
        fl.totalCount > 0 ? ms3(fl.getValueAtPercentile(99)) : NaN,
        wl.totalCount > 0 ? ms3(wl.getValueAtPercentile(99)) : NaN,
        p.aofDelayedFsync,
        p.atRisk(),
        p.misconfRejected,
        this.loadingRejected + (this.app?.redisErrors ?? 0),
      );
      this.lastForks = p.totalForks;
      wl.reset();
      fl.reset();
    }
    if (row.length !== this.columns) throw new Error("timeseries row does not match its columns");
    this.last = {
      t,
      seen: this.seen,
      seenReads: this.seenReads,
      keptReads: this.keptReads,
      requests: this.requests,
      cmds: st.total_commands_processed,
      hits: st.keyspace_hits,
      misses: st.keyspace_misses,
      evicted: st.evicted_keys,
      expired: st.expired_keys,
      completed: app?.completed ?? 0,
      dbStarted: app?.db.started ?? 0,
      dbBusy: app?.db.busy(t) ?? 0,
    };
    this.rows++;
    const c = COL;
    if (app !== null) this.series.push(row[c.t], row[c.hits], row[c.misses], row[c.evicted], row[c.expired], row[c.oom], row[c.used], row[c.p50], row[c.p99], row[c.completed]);
    else this.series.push(row[c.t], row[c.hits], row[c.misses], row[c.evicted], row[c.expired], row[c.oom], row[c.used]);
    this.opts.onRow?.(row);
  }

  /** Moves simulated time to `t` (firing due events); false if `t` is past the end of the run. */
  private advance(t: number): boolean {
    if (t >= this.endUs) {
      // the run's end, or (a trace without a duration) past what its rows can hold
      if (t >= this.plan.durationUs) return false;
      this.tooLong(t);
    }
    if (t < this.lastT) throw new Error(`requests out of time order at ${t} µs`);
    this.lastT = t;
    this.server.nextRequestUs = t;
    const sim = this.sim;
    if (sim.nextEventTime() <= t) sim.advanceTo(t);
    else sim.now = t;
    return true;
  }

  /**
   * A generated workload's source: what prewarm needs, and the cache-aside clients and database of a
   * scenario with a `database` section.
   */
  useSource(source: RequestSource, hottest: Generator["hottestSteps"], keyName: (cls: number, index: number) => string): void {
    this.source = source;
    this.hottest = hottest;
    if (this.plan.app === undefined) return;
    const app = new CacheAside(this.plan, this.sim, this.streams, this.server, source, () => this.oom());
    const onHerd = this.opts.onHerd;
    if (onHerd) app.onHerd = (h) => onHerd(h, keyName(h.cls, h.index));
    this.app = app;
  }

  // ============================== events ==============================

  private readonly prewarmKind: number;

  private fire(e: EventPlan): void {
    const server = this.server;
    const p = server.persistence;
    switch (e.action) {
      case EV_FLUSHALL:
        server.flushall();
        this.app?.forgetMissing();
        break;
      case EV_PREWARM:
        this.prewarm(e.keys);
        break;
      case EV_BGSAVE:
        p?.bgsave();
        break;
      case EV_BGREWRITEAOF:
        p?.bgrewriteaof();
        break;
      case EV_RESTART:
      case EV_CRASH:
        this.restart(e, e.action === EV_RESTART);
        break;
    }
  }

  /**
   * A restart (SHUTDOWN: with persistence the dataset is saved and loaded again, nothing is lost) or a
   * crash (what was not durable is lost; see persistence.ts). The server is down for the downtime, then
   * loads (-LOADING) for the load time, then serves what it loaded. Without persistence it comes back empty.
   */
  private restart(e: EventPlan, graceful: boolean): void {
    const server = this.server;
    const p = server.persistence;
    const now = this.sim.now;
    let saveUs = 0;
    if (p === null || (graceful && !p.enabled)) {
      server.flushall();
      p?.afterRestart();
    } else if (graceful) {
      // SHUTDOWN: a synchronous SAVE when save points exist (AOF: the buffer is written and fsynced)
      if (p.cfg.savePoints.length > 0) saveUs = Math.round((server.used / p.cfg.saveBytesPerSec) * 1e6);
      p.snapshotNow();
      p.afterRestart();
    } else {
      const dp = p.durablePoint(e.powerLoss);
      this.writesLost += p.writes - dp.writes;
      // the child dies with its parent (before the keys go, so that their deletion copies no page)
      p.afterRestart();
      if (dp.time < 0) server.flushall();
      else {
        // the keys created after the durable point are not in the files
        for (const db of server.ks.dbs)
          for (let i = db.allN - 1; i >= 0; i--) {
            const k = db.all[2 * i];
            if (p.bornAtOf(k) >= dp.time) server.deleteKey(k);
          }
      }
    }
    const loadUs = p !== null ? p.loadTimeUs(server.ks.keys, Math.max(0, server.used - server.mem.startup)) : 0;
    this.lastLoadUs = loadUs;
    server.downUntil = now + saveUs + e.downtimeUs + loadUs;
    if (p !== null) p.blockedUntil = server.downUntil;
    this.app?.forgetMissing();
    if (e.keys > 0) this.sim.at(server.downUntil, this.prewarmKind, e.keys);
  }

  /**
   * Loads the hottest `fraction` of each bounded class's keys now (a warm-up job, or the reload after a
   * restart), as a warm server would hold them and never past maxmemory (RedisServer.warm).
   */
  private prewarm(fraction: number): void {
    const steps = this.prewarmSteps(fraction);
    while (!steps.next().done);
  }

  /**
   * prewarm one step at a time (every 65 536 keys, and between RedisServer.warm's passes): a prewarm of
   * millions of keys takes seconds, and the host pauses between steps (runPlanYielding) so that Ctrl-C
   * is seen. The steps change nothing in what is loaded.
   */
  *prewarmSteps(fraction: number): globalThis.Generator<void, void, void> {
    const source = this.source;
    if (source === null || this.hottest === null) return;
    const keys: WarmKeys = { key: [], rate: [], vlen: [], ttlMs: [] };
    const cls: number[] = [];
    const req = new Request();
    const visit = (k: number, c: number, index: number, rate: number, phase: number) => {
      req.t = this.sim.now;
      req.key = k;
      req.cls = c;
      req.index = index;
      req.phase = phase;
      source.fill(req);
      keys.key.push(k);
      keys.rate.push(rate);
      keys.vlen.push(req.vlen);
      keys.ttlMs.push(req.ttlMs);
      cls.push(c);
    };
    yield* this.hottest(fraction, visit);
    if (this.keepBelow !== Infinity) {
      // spatial sampling: only the sampled keys exist in this run
      const kept = keys.key.map((k) => this.kept(k));
      for (const f of ["key", "rate", "vlen", "ttlMs"] as const) keys[f] = keys[f].filter((_, i) => kept[i]);
      const c2 = cls.filter((_, i) => kept[i]);
      cls.length = 0;
      cls.push(...c2);
    }
    yield;
    const app = this.app;
    const commands = commandBits(this.plan);
    if (app !== null) yield* this.server.warmSteps(keys, (i, ttlMs) => app.prewarmStore(keys.key[i], cls[i], keys.vlen[i], ttlMs), commands);
    else yield* this.server.warmSteps(keys, (i, ttlMs) => this.server.set(keys.key[i], keys.vlen[i], -1, ttlMs), commands);
  }

  /** Plan events the host ran itself (a prewarm at 0 s, in steps): the sim skips them. */
  private readonly preempted = new Set<number>();

  /**
   * The prewarm events at 0 s that come before any other event at 0 s: the host can run them before the
   * first request, in steps (prewarmSteps), with exactly the same effect as when they fire.
   */
  preemptPrewarms(): number[] {
    const out: number[] = [];
    this.plan.events.forEach((e, i) => {
      if (e.atUs !== 0) return;
      if (e.action === EV_PREWARM && out.length === this.plan.events.slice(0, i).filter((x) => x.atUs === 0).length) {
        out.push(i);
        this.preempted.add(i);
      }
    });
    return out.map((i) => this.plan.events[i].keys);
  }

  private oom(): void {
    if (this.firstOomUs < 0) this.firstOomUs = this.sim.now;
  }

  private counted(result: number): void {
    if (result === WRITE_OOM) this.oom();
    if ((++this.requests & 0xffff) === 0) this.opts.onProgress?.(this.sim.now, this.plan.durationUs, this.requests);
  }

  /** Applies one request from a RequestSource (which fills the value of a cache-aside miss). */
  /** Whether `key` takes part under spatial sampling (always true without sampling). */
  private kept(key: number): boolean {
    let h = Math.imul(key ^ this.sampleSalt, 0x9e3779b1);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h >>> 0 < this.keepBelow;
  }

  feed(req: Request, source: RequestSource): boolean {
    const key = req.key;
    if (this.keepBelow !== Infinity) {
      if (req.t >= this.plan.durationUs) return false;
      this.seen++;
      const read = req.op === OP_CACHE_GET || req.op === OP_GET;
      if (read) this.seenReads++;
      if (!this.kept(key)) return true;
      if (read) this.keptReads++;
    }
    if (!this.advance(req.t)) return false;
    const server = this.server;
    let result = 0;
    if (server.downUntil >= 0 && server.down && this.app === null) {
      // down or loading: the command fails (connection refused / -LOADING)
      this.loadingRejected++;
      this.counted(0);
      return true;
    }
    switch (req.op) {
      case OP_CACHE_GET:
        if (this.app !== null) this.app.request(req);
        else if (!server.get(key)) {
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
    this.counted(result);
    return true;
  }

  /**
   * A trace without a duration runs to its last request; one that reaches further than HARD_ROWS
   * timeseries rows (a corrupt timestamp, or seconds read as milliseconds) cannot be written: refused.
   */
  /** The first time a request may not have: the run's end, or HARD_ROWS intervals for a trace without one. */
  private readonly endUs: number;

  private tooLong(t: number): never {
    const years = t / US_PER_S / 31_557_600;
    const span = years >= 2 ? `${+years.toPrecision(3)} years` : `${+(t / US_PER_S).toPrecision(3)} s`;
    throw new InputError(
      `the trace reaches ${span} after its first request: at output.interval ${this.plan.intervalUs / US_PER_S}s that is over ${HARD_ROWS.toExponential(0)} timeseries rows; ` +
        `set duration (to stop earlier) or a longer output.interval, or check the trace's timestamps`,
    );
  }

  /** Applies a batch of trace requests; false once the run's end is reached. */
  feedBatch(b: TraceBatch): boolean {
    const server = this.server;
    const { t, op, key, vlen, ttlMs, nextAccess } = b;
    const opt = server.opt !== null;
    if (opt && b.n > 0 && Number.isNaN(nextAccess[0]))
      throw new InputError(
        "maxmemory-policy opt needs each request's next access: use an oracleGeneral trace (libCacheSim) or a generated workload",
      );
    const sampled = this.keepBelow !== Infinity;
    for (let i = 0; i < b.n; i++) {
      if (sampled) {
        if (t[i] >= this.plan.durationUs) return false;
        this.seen++;
        const read = op[i] === OP_CACHE_GET || op[i] === OP_GET;
        if (read) this.seenReads++;
        if (!this.kept(key[i])) continue;
        if (read) this.keptReads++;
      }
      if (!this.advance(t[i])) return false;
      if (opt) server.nextAccess = nextAccess[i]; // a request index across the whole trace, −1 = never
      if (server.downUntil >= 0 && server.down) {
        this.loadingRejected++;
        this.counted(0);
        continue;
      }
      if (vlen[i] > MAX_VALUE_BYTES) throw new InputError(`a trace value of ${vlen[i]} bytes is larger than Redis's proto-max-bulk-len (512mb)`);
      const k = key[i];
      let result = 0;
      switch (op[i]) {
        case OP_CACHE_GET:
          if (!server.get(k)) result = server.set(k, vlen[i], -1, ttlMs[i]);
          break;
        case OP_GET:
          server.get(k);
          break;
        case OP_DEL:
          server.del(k);
          break;
        default:
          result = server.set(k, vlen[i], -1, ttlMs[i]);
      }
      this.counted(result);
    }
    return true;
  }

  /** Runs to the end of the run (a trace without a duration ends at its last request) and summarises. */
  finish(): RunResult {
    const { plan, sim, server } = this;
    const st = server.stats;
    const endUs = plan.durationUs === Infinity ? this.lastT : plan.durationUs;
    sim.advanceTo(endUs);
    if (this.last.t < endUs || this.rows === 0) this.sample();
    const hits = Math.max(0, st.keyspace_hits + this.adjustment(this.seenReads, this.keptReads)), misses = st.keyspace_misses;
    const summary: Summary = {
      scenario: this.opts.name ?? "scenario",
      seed: plan.seed,
      maxmemory_policy: plan.redis.maxmemoryPolicy,
      maxmemory: plan.redis.maxmemory,
      duration_s: endUs / US_PER_S,
      requests: this.inv === 1 ? this.requests : this.seen,
      total_commands_processed: this.n(st.total_commands_processed),
      keyspace_hits: this.n(hits),
      keyspace_misses: this.n(misses),
      hit_ratio: hits + misses > 0 ? round6(hits / (hits + misses)) : "",
      evicted_keys: this.n(st.evicted_keys),
      expired_keys: this.n(st.expired_keys),
      oom_rejected_writes: this.n(st.oom_rejected_writes),
      first_oom_s: this.firstOomUs >= 0 ? this.firstOomUs / US_PER_S : "",
      used_memory: this.bytes(server.used),
      used_memory_peak: this.bytes(st.used_memory_peak),
      used_memory_startup: server.mem.startup,
      keys: this.n(server.ks.keys),
      expires: this.n(server.ks.volatileKeys),
      expired_stale_perc: round6(st.expired_stale_perc * 100),
      expired_time_cap_reached_count: st.expired_time_cap_reached_count,
      total_eviction_exceeded_time: Math.round(
        (st.total_eviction_exceeded_us + (server.exceededSince >= 0 ? endUs - server.exceededSince : 0)) / 1000,
      ),
    };
    Object.assign(summary, steadyColumns(steadyState(this.series.series(), plan.warmupUs === undefined ? undefined : plan.warmupUs / US_PER_S)));
    const app = this.app;
    if (app !== null) {
      const db = app.db, h = app.latency;
      const extra: Record<(typeof APP_SUMMARY_COLUMNS)[number]["name"], string | number> = {
        app_requests: app.requests,
        app_errors: app.errors,
        app_retries: app.retries,
        latency_p50_ms: pct(h, 50),
        latency_p99_ms: pct(h, 99),
        latency_p999_ms: pct(h, 99.9),
        latency_max_ms: h.totalCount > 0 ? ms3(h.maxValue) : "",
        db_queries: db.started,
        db_in_flight_peak: this.peaks.inFlight,
        db_active_peak: this.peaks.active,
        db_queue_peak: this.peaks.queue,
        db_connections: db.cfg.connections,
        db_utilisation: endUs > 0 ? round6(db.busy(endUs) / (db.cfg.connections * endUs)) : 0,
        db_mean_wait_ms: db.waitCount > 0 ? ms3(db.waitSumUs / db.waitCount) : "",
        db_timeouts: db.poolTimeouts + db.queryTimeouts,
        herds: app.herds,
        herd_mean: app.herds > 0 ? round6(app.herdQueries / app.herds) : "",
        herd_max: Math.max(0, ...app.classes.map((c) => c.herdMax)),
        stale_served: app.staleServed,
        redis_errors: app.redisErrors,
      };
      Object.assign(summary, extra);
      const classes = plan.workload.classes.map((c, i) => {
        const s = app.classes[i];
        const row = [
          c.name,
          MITIGATION_NAMES[app.app.mitigation[i].kind],
          s.requests,
          s.hits,
          s.misses,
          s.hits + s.misses > 0 ? round6(s.hits / (s.hits + s.misses)) : "",
          s.staleServed,
          s.lockWaits,
          s.dbQueries,
          s.peakInFlight,
          s.herds,
          s.herds > 0 ? round6(s.herdQueries / s.herds) : "",
          s.herdMax,
          s.errors,
          s.lockHolderDeaths,
          pct(s.latency, 50),
          pct(s.latency, 99),
          pct(s.latency, 99.9),
        ];
        if (row.length !== CLASS_COLUMNS.length) throw new Error("class row does not match its columns");
        return row;
      });
      this.persistenceSummary(summary);
      return { summary, server, rows: this.rows, classes, app };
    }
    this.persistenceSummary(summary);
    return { summary, server, rows: this.rows };
  }

  private persistenceSummary(summary: Summary): void {
    const p = this.server.persistence;
    if (p === null) return;
    const w = p.writeLatency, f = p.fsyncLatency;
    const extra: Record<(typeof PERSISTENCE_SUMMARY_COLUMNS)[number]["name"], string | number> = {
      total_forks: p.totalForks,
      latest_fork_usec: p.latestForkUs,
      rdb_saves: p.rdbSaves,
      rdb_bgsave_failed: p.rdbFailed,
      aof_rewrites: p.aofRewrites,
      rdb_last_cow_size: p.rdbLastCowSize,
      aof_last_cow_size: p.aofLastCowSize,
      cow_peak: Math.max(this.cowPeak, p.cowPeakRun),
      rss_peak: Math.max(this.rssPeak, p.rssPeakRun, p.rssParent + p.cowBytes),
      oom_kills: p.oomKills,
      misconf_rejected_writes: p.misconfRejected,
      aof_delayed_fsync: p.aofDelayedFsync,
      fsync_p99_ms: pct(f, 99),
      write_latency_p50_ms: pct(w, 50),
      write_latency_p99_ms: pct(w, 99),
      write_latency_max_ms: w.totalCount > 0 ? ms3(w.maxValue) : "",
      writes_lost: this.writesLost,
      load_time_s: this.lastLoadUs >= 0 ? this.lastLoadUs / 1e6 : "",
      loading_rejected: this.loadingRejected + (this.app?.redisErrors ?? 0),
    };
    Object.assign(summary, extra);
  }
}

/** How many of GET, SET and DEL the workload sends (each holds a latency histogram once used). */
function commandsUsed(plan: Plan): number {
  const bits = commandBits(plan);
  return (bits & CMD_GET ? 1 : 0) + (bits & CMD_SET ? 1 : 0) + (bits & CMD_DEL ? 1 : 0);
}

/** Which of GET, SET and DEL the workload sends (server.ts CMD_* bits). */
function commandBits(plan: Plan): number {
  if (plan.workload.kind === "trace") return CMD_GET | CMD_SET;
  let get = false, set = false, del = false;
  for (const c of plan.workload.classes) {
    if (c.mode === MODE_CACHE_ASIDE) get = set = true;
    else {
      if (c.opsCum[0] > 0) get = true;
      if (c.opsCum[1] > c.opsCum[0] || c.keys < 0) set = true;
      if (c.opsCum[1] < 1) del = true;
    }
  }
  return (get ? CMD_GET : 0) | (set ? CMD_SET : 0) | (del ? CMD_DEL : 0);
}

/** Runs a generated workload (or a synchronous request source) to the end. */
export function runPlan(plan: Plan, opts: RunOptions = {}): RunResult {
  const runner = new Runner(plan, opts);
  if (runner.server.opt !== null && plan.workload.kind === "generated") {
    // Belady needs the future: generate the whole workload first (materialize.ts).
    runner.feedBatch(materialize(plan, runner.streams, runner.server));
    return runner.finish();
  }
  const source = requestSource(runner, plan, opts);
  const req = new Request();
  while (source.next(req) && runner.feed(req, source));
  return runner.finish();
}

/** The request source of a run that is not a trace reader's: the generator (wired for prewarm and the app), or opts.source. */
function requestSource(runner: Runner, plan: Plan, opts: RunOptions): RequestSource {
  const gen = plan.workload.kind === "trace" ? null : new Generator(plan, runner.streams, runner.server);
  const source = gen ?? opts.source?.(runner.server);
  if (!source) throw new Error("a trace workload needs a trace reader: use runPlanAsync");
  if (gen) runner.useSource(gen, (f, visit) => gen.hottestSteps(f, visit), (c, i) => gen.keyName(c, i));
  return source;
}

/** Runs a trace workload, pulling batches from the reader. */
export async function runPlanAsync(plan: Plan, trace: TraceReader, opts: RunOptions = {}): Promise<RunResult> {
  return runPlanYielding(plan, opts, trace);
}

/** Requests between two calls of `opts.pause` (about 5 ms of work at 1.5 M requests/s). */
const PAUSE_EVERY = 8192;
/** Simulated time advanced at most between two calls of `opts.pause` when no request comes (cron ticks, samples). */
const PAUSE_SPAN_US = 60 * US_PER_S;

/**
 * Runs any plan (generated or trace) like runPlan, but hands control to the host through `opts.pause`
 * every PAUSE_EVERY requests and every PAUSE_SPAN_US of simulated time without requests: the CLI stops
 * a run within a fraction of a second of Ctrl-C this way, where a synchronous loop would never see the
 * signal. Results are identical to runPlan's (pausing only splits the same sequence of events).
 */
export async function runPlanYielding(plan: Plan, opts: RunOptions = {}, trace?: TraceReader): Promise<RunResult> {
  const pause = opts.pause ?? (() => Promise.resolve());
  const runner = new Runner(plan, opts);
  const catchUp = async (t: number) => {
    // fire the events of a long stretch without requests (or the run's tail) a slice at a time
    const sim = runner.sim;
    const end = Math.min(t, plan.durationUs);
    while (end - sim.now > PAUSE_SPAN_US && sim.nextEventTime() < end) {
      sim.advanceTo(Math.min(end, sim.now + PAUSE_SPAN_US));
      await pause();
    }
  };
  if (trace) {
    for await (const batch of trace.batches(runner.server)) {
      if (batch.n > 0) await catchUp(batch.t[0]);
      if (!runner.feedBatch(batch)) break;
      await pause();
    }
  } else if (runner.server.opt !== null && plan.workload.kind === "generated") {
    // Belady needs the future: generate the whole workload first (materialize.ts).
    await pause();
    runner.feedBatch(materialize(plan, runner.streams, runner.server));
  } else {
    const source = requestSource(runner, plan, opts);
    // a prewarm at 0 s (sim init writes one) can take seconds for millions of keys: run it here in steps
    for (const fraction of runner.preemptPrewarms()) {
      opts.onPrewarm?.(fraction);
      const steps = runner.prewarmSteps(fraction);
      while (!steps.next().done) await pause();
    }
    const req = new Request();
    let n = 0;
    while (source.next(req)) {
      if (req.t - runner.sim.now > PAUSE_SPAN_US) await catchUp(req.t);
      if (!runner.feed(req, source)) break;
      if (++n === PAUSE_EVERY) {
        n = 0;
        await pause();
      }
    }
  }
  if (plan.durationUs !== Infinity) await catchUp(plan.durationUs);
  await pause();
  return runner.finish();
}
