import { US_PER_S } from "../../core/time.ts";
import { InputError } from "../../errors.ts";
import { POLICIES } from "../../redis/policies.ts";
import { TIMESERIES_COLUMNS, type Summary } from "../../metrics/columns.ts";
import type { Plan } from "../../parts/plan.ts";
import { Streams } from "../../core/random.ts";
import { Generator } from "../../workload/generator.ts";
import { OP_CACHE_GET, OP_DEL, OP_GET, OP_SET, Request, type KeyRegistry } from "../../workload/request.ts";
import type { TraceReader } from "../../workload/trace.ts";
import { Interrupted, interruptedBy, interruptSignal, throwIfInterrupted } from "../interrupt.ts";
import { checkEmpty, ConfigGuard, describeRedisError, isReplyError, parseRedisUrl, RedisLink, sleepUnless, unlessInterrupted } from "./connect.ts";
import { num, parseInfo } from "./info.ts";
import { allocatorMismatch, detectAllocator, type AllocatorDetection } from "./allocator.ts";

/*
 * `sim replay`: drives a real Redis with exactly the workload `sim run` simulates (the same generator and
 * seed, or the same trace), paced in real time by the requests' timestamps, and samples INFO into the
 * same columns. Requests are grouped by millisecond and pipelined per group; a group is cut where a key
 * repeats, so that a cache-aside GET that misses is followed by its SET before the next request for the
 * same key, as in the simulator. The wall clock comes from the caller (the CLI), never from the model.
 *
 * The server may hold someone else's data, so (src/io/replay/connect.ts) nothing is written before the
 * keys on it were counted: a server with keys is refused unless --flush was given; the CONFIG values
 * the replay sets are read first and written back at the end, on an error and on Ctrl-C; a lost
 * connection is one line and exit 2; the password appears in no message and no file. Before anything
 * is changed the server's size-class table is probed (src/io/replay/allocator.ts): one other than the
 * scenario's redis.allocator is refused (exit 2) unless allowAllocatorMismatch, since memory, keys and
 * evictions would then differ from sim run's by construction.
 */

export interface ReplayOptions {
  url: string;
  /** The wall clock in ms (performance.now at the CLI): passed in, so nothing here reads a clock itself. */
  wallMs: () => number;
  flush: boolean;
  name: string;
  onRow?: (row: number[]) => void;
  warn?: (msg: string) => void;
  /** What the command is about to do to the server (--flush: the keys it deletes), printed even with --quiet. */
  notice?: (msg: string) => void;
  onProgress?: (nowUs: number, durationUs: number, requests: number) => void;
  /**
   * Replay although the server's size classes are not the scenario's `redis.allocator` (a loud warning
   * instead of the refusal; the CLI's --allow-allocator-mismatch).
   */
  allowAllocatorMismatch?: boolean;
  /** Where the scenario's redis.allocator came from, for the mismatch message ("the default", "--set"). */
  allocatorSource?: string;
  /**
   * Told of every batch sent more than 5 ms late (one line: its time, how late, how many requests), for
   * debugging the pacing; the CLI passes a writer to stderr when EVICTSIM_LAG_DEBUG is set.
   */
  lagDebug?: (line: string) => void;
}

export interface ReplayResult {
  summary: Summary;
  maxLagMs: number;
  achievedRate: number;
  redisVersion: string;
  memAllocator: string;
  /** The server's size-class table, as probed before anything else was written (src/io/replay/allocator.ts). */
  allocator: AllocatorDetection;
  /** The mismatch the replay went ahead with (--allow-allocator-mismatch), or null. */
  allocatorMismatch: string | null;
}

interface Pending {
  t: number;
  op: number;
  name: string;
  db: number;
  vlen: number;
  ttlMs: number;
  cls: number;
  index: number;
  phase: number;
}

const NULL_REGISTRY: KeyRegistry = { defineKey: () => {} };
const round6 = (x: number) => Math.round(x * 1e6) / 1e6;

/** The CONFIG SET lines that make the server match the scenario. */
export function configFor(plan: Plan): [string, string][] {
  const r = plan.redis;
  return [
    ["maxmemory", String(r.maxmemory)],
    ["maxmemory-policy", r.maxmemoryPolicy],
    ["maxmemory-samples", String(r.maxmemorySamples)],
    ["maxmemory-eviction-tenacity", String(r.maxmemoryEvictionTenacity)],
    ["hz", String(r.hz)],
    ["lfu-log-factor", String(r.lfuLogFactor)],
    ["lfu-decay-time", String(r.lfuDecayTime)],
    ["active-expire-effort", String(r.activeExpireEffort)],
  ];
}

async function* requestsOf(plan: Plan, trace?: TraceReader): AsyncGenerator<Pending> {
  if (trace) {
    for await (const b of trace.batches(NULL_REGISTRY)) {
      for (let i = 0; i < b.n; i++)
        yield { t: b.t[i], op: b.op[i], name: trace.keyName(b.key[i]), db: 0, vlen: b.vlen[i], ttlMs: b.ttlMs[i], cls: 0, index: 0, phase: 0 };
    }
    return;
  }
  const gen = new Generator(plan, new Streams(plan.seed), NULL_REGISTRY);
  const req = new Request();
  while (gen.next(req)) {
    const db = plan.workload.classes[req.cls].db;
    yield { t: req.t, op: req.op, name: gen.keyName(req.cls, req.index), db, vlen: req.vlen, ttlMs: req.ttlMs, cls: req.cls, index: req.index, phase: req.phase };
  }
}

export async function replayPlan(plan: Plan, opts: ReplayOptions, trace?: TraceReader): Promise<ReplayResult> {
  // Refuse what a real server cannot do before touching it (--flush would otherwise run first).
  if (POLICIES[plan.redis.maxmemoryPolicy].reference)
    throw new InputError(`maxmemory-policy ${plan.redis.maxmemoryPolicy} is a reference policy; a real Redis does not have it`);
  if (plan.sampling < 1) throw new InputError(`workload.sampling is a simulator shortcut; a replay sends every request (remove it, or --set workload.sampling=1)`);
  if (plan.redis.memoryAccounting !== "redis") throw new InputError(`redis.memory-accounting: object-size is not how a real Redis counts memory`);
  const target = parseRedisUrl(opts.url);
  const link = new RedisLink(target);
  const clock: ReplayClock = { startMs: NaN, wallMs: opts.wallMs };
  let guard: ConfigGuard | undefined;
  try {
    const main = await link.connect(0);
    // Reads only, up to checkEmpty: a server that holds keys is refused there, untouched (without --flush).
    const server = parseInfo((await main.info("server")) + (await main.info("memory")));
    // (a server that refuses CONFIG is refused with a clearer line by ConfigGuard.save below)
    const databases = Number(((await main.config("GET", "databases").catch(() => null)) as string[] | null)?.[1] ?? 16);
    const beyond = plan.workload.classes.find((c) => c.db >= databases);
    if (beyond) throw new InputError(`workload.classes: "${beyond.name}" is in db ${beyond.db}, but ${target.shown} has databases ${databases} (db 0–${databases - 1})`);
    // "--flush: deleting N keys" is said once the replay is sure to go ahead (after the allocator check).
    const notices: string[] = [];
    await checkEmpty(main, target, opts.flush, "sim replay", (m) => notices.push(m));
    // Which size classes the server uses: a probe of a dozen keys, one at a time, deleted at once (only
    // now, when the server is empty or --flush allows writing). A mismatch is refused here, before the
    // FLUSHALL and before any CONFIG SET: comparing across tables gets evictions wrong by ~20 % silently.
    // (With --flush on a server within ~5 KB of its maxmemory, a probe key may evict one of the keys
    // --flush is about to delete; under noeviction its SET fails and INFO decides instead.)
    const allocator = await detectAllocator(main, { probeAllowed: true, info: server });
    const mismatch = allocatorMismatch(plan.redis.allocator, opts.allocatorSource, allocator, target.shown);
    if (mismatch && !opts.allowAllocatorMismatch) throw new InputError(mismatch);
    if (mismatch)
      opts.warn?.(
        `ALLOCATOR MISMATCH, replaying anyway (--allow-allocator-mismatch): the server's size classes are ${allocator.allocator}, the scenario's ${plan.redis.allocator}; used_memory, keys and evictions will not match sim run's (recorded in replay.csv). ${allocator.evidence}`,
      );
    for (const m of notices) opts.notice?.(m);
    guard = await ConfigGuard.save(link, configFor(plan).map(([k]) => k));
    // From here on the server is changed; `guard` puts its CONFIG back whatever happens.
    const r = await replayConnected(plan, opts, trace, link, server, clock);
    return { ...r, allocator, allocatorMismatch: mismatch };
  } catch (e) {
    throw asUserError(e, link, clock);
  } finally {
    // On Ctrl-C, wait less: the CONFIG SETs are on the wire, a server that is only slow still applies them.
    const failed = await guard?.restore(interruptedBy() ? 500 : 2000);
    if (failed) opts.warn?.(`the server did not confirm that its CONFIG was put back (${failed}); check, and set by hand if needed: CONFIG SET ${guard!.describe()}`);
    link.disconnect();
  }
}

/** Wall-clock start of the paced replay (NaN during setup), for "connection lost after 12.3 s". */
interface ReplayClock {
  startMs: number;
  wallMs: () => number;
}

/**
 * A broken connection (the server was shut down, killed or restarted, or the network dropped) is the
 * user's environment, not a bug: one line and exit 2. So is an error reply the workload cannot go on
 * after (READONLY on a replica, MISCONF, …). Ctrl-C and InputErrors pass through.
 */
function asUserError(e: unknown, link: RedisLink, clock: ReplayClock): unknown {
  if (e instanceof Interrupted || e instanceof InputError) return e;
  const where = link.target.shown;
  if (link.lost(e)) {
    const when = Number.isNaN(clock.startMs) ? "while preparing the replay" : `after ${((clock.wallMs() - clock.startMs) / 1000).toFixed(1)} s of the replay`;
    return new InputError(`${where}: connection lost ${when} (${link.lostReason()}); no result written`);
  }
  if (isReplyError(e)) return new InputError(`${where}: the server answered "${describeRedisError(e)}"; no result written`);
  return e;
}

async function replayConnected(
  plan: Plan,
  opts: ReplayOptions,
  trace: TraceReader | undefined,
  link: RedisLink,
  server: Map<string, string>,
  clock: ReplayClock,
): Promise<Omit<ReplayResult, "allocator" | "allocatorMismatch">> {
  const warn = opts.warn ?? (() => {});
  const wallMs = opts.wallMs;
  const main = link.get(0);
  const client = (db: number) => link.get(db);
  const redisVersion = server.get("redis_version") ?? "?";
  if (!redisVersion.startsWith("7.")) warn(`the server is Redis ${redisVersion}; the model follows Redis 7.0`);
  if (opts.flush) await main.flushall();
  for (const [k, v] of configFor(plan)) {
    try {
      await main.config("SET", k, v);
    } catch (e) {
      if (!isReplyError(e)) throw e;
      throw new InputError(`${link.target.shown}: CONFIG SET ${k} ${v} failed: ${describeRedisError(e)}`);
    }
  }
  await main.config("RESETSTAT");
  for (const db of new Set(plan.workload.classes.map((c) => c.db))) if (db !== 0) await link.connect(db);

  const gen = trace ? null : new Generator(plan, new Streams(plan.seed), NULL_REGISTRY);
  const values = new Map<number, string>();
  const value = (n: number) => {
    let v = values.get(n);
    if (v === undefined) values.set(n, (v = "x".repeat(n)));
    return v;
  };
  const fillReq = new Request();

  // ---- sampling ----
  const intervalUs = plan.intervalUs;
  const durationUs = plan.durationUs;
  let requests = 0, oom = 0, firstOomUs = -1;
  let last = { t: 0, requests: 0, cmds: 0, hits: 0, misses: 0, evicted: 0, expired: 0 };
  let lastInfo = parseInfo(await main.info());
  const cmds0 = num(lastInfo, "total_commands_processed");
  const sample = async (tUs: number) => {
    const info = parseInfo(await unlessInterrupted(main.info()));
    lastInfo = info;
    const dt = (tUs - last.t) / US_PER_S;
    const hits = num(info, "keyspace_hits"), misses = num(info, "keyspace_misses");
    const cmds = num(info, "total_commands_processed") - cmds0;
    const evicted = num(info, "evicted_keys"), expired = num(info, "expired_keys");
    const dh = hits - last.hits, dm = misses - last.misses;
    const row = [
      tUs / US_PER_S,
      requests - last.requests,
      dt > 0 ? round6((cmds - last.cmds) / dt) : 0,
      hits,
      misses,
      dh + dm > 0 ? round6(dh / (dh + dm)) : NaN,
      num(info, "used_memory"),
      num(info, "used_memory_peak"),
      num(info, "maxmemory"),
      num(info, "__keys"),
      num(info, "__expires"),
      evicted,
      expired,
      dt > 0 ? round6((evicted - last.evicted) / dt) : 0,
      dt > 0 ? round6((expired - last.expired) / dt) : 0,
      oom,
    ];
    if (row.length !== TIMESERIES_COLUMNS.length) throw new Error("replay row does not match the timeseries columns");
    last = { t: tUs, requests, cmds, hits, misses, evicted, expired };
    opts.onRow?.(row);
  };

  // ---- pacing ----
  // Warm up the client and the JIT first: otherwise the first few hundred milliseconds run late, and a
  // key SET late but read on time lives longer than in the simulation.
  for (let i = 0; i < 300; i++) {
    const p = main.pipeline();
    for (let j = 0; j < 20; j++) p.exists(`evictsim:warmup:${j}`);
    await p.exec();
    throwIfInterrupted();
  }
  await main.config("RESETSTAT");
  const t0 = wallMs() + 100;
  clock.startMs = t0;
  let maxLagMs = 0;
  // Every wait ends early on Ctrl-C (a sparse workload may wait seconds for its next request), and every
  // pass through here checks for one, so an interrupted replay stops within a round trip.
  const aborted = interruptSignal();
  const waitUntil = async (simUs: number) => {
    const target = t0 + simUs / 1000;
    for (;;) {
      throwIfInterrupted();
      const ahead = target - wallMs();
      if (ahead <= 0) return;
      await sleepUnless(ahead > 2 ? ahead - 1 : 0, aborted);
    }
  };
  let nextSample = intervalUs;
  let warnedLag = false;

  const isOom = (e: unknown) => e instanceof Error && e.message.startsWith("OOM");
  const sendGroup = async (g: Pending[], groupUs: number) => {
    let i = 0;
    while (i < g.length) {
      const seen = new Set<string>();
      const db = g[i].db;
      let j = i;
      while (j < g.length && g[j].db === db && !seen.has(g[j].name)) seen.add(g[j++].name);
      const c = client(db);
      const pipe = c.pipeline();
      for (let k = i; k < j; k++) {
        const r = g[k];
        if (r.op === OP_CACHE_GET || r.op === OP_GET) pipe.get(r.name);
        else if (r.op === OP_DEL) pipe.del(r.name);
        else if (r.ttlMs > 0) pipe.set(r.name, value(r.vlen), "PX", r.ttlMs);
        else pipe.set(r.name, value(r.vlen));
      }
      const res = (await unlessInterrupted(pipe.exec())) ?? [];
      const fills: Pending[] = [];
      for (let k = i; k < j; k++) {
        const [err, reply] = res[k - i] ?? [null, null];
        const r = g[k];
        if (err && !isOom(err)) throw err; // a broken connection, READONLY, MISCONF, …: the replay cannot go on
        if (r.op === OP_SET && err) {
          oom++;
          if (firstOomUs < 0) firstOomUs = groupUs;
        } else if (r.op === OP_CACHE_GET && reply === null && !err) {
          if (gen) {
            fillReq.cls = r.cls;
            fillReq.index = r.index;
            fillReq.phase = r.phase;
            fillReq.t = r.t;
            gen.fill(fillReq);
            r.vlen = fillReq.vlen;
            r.ttlMs = fillReq.ttlMs;
          }
          fills.push(r);
        }
      }
      if (fills.length > 0) {
        const p2 = c.pipeline();
        for (const r of fills) if (r.ttlMs > 0) p2.set(r.name, value(r.vlen), "PX", r.ttlMs);
        else p2.set(r.name, value(r.vlen));
        const res2 = (await unlessInterrupted(p2.exec())) ?? [];
        for (const [err] of res2)
          if (err) {
            if (!isOom(err)) throw err;
            oom++;
            if (firstOomUs < 0) firstOomUs = groupUs;
          }
      }
      i = j;
    }
  };

  // Requests are sent in batches: everything already due (by the workload's timestamps) goes in one
  // pipelined batch, so a replay that falls behind (a cold cache, where every GET is followed by a SET)
  // catches up with fewer round trips; on schedule, a batch is one millisecond's requests.
  const startWall = wallMs();
  let batch: Pending[] = [];
  const MAX_BATCH = 2000;
  const send = async () => {
    if (batch.length === 0) return;
    const firstUs = batch[0].t;
    const lag = wallMs() - (t0 + firstUs / 1000);
    if (opts.lagDebug && lag > 5) opts.lagDebug(`lag ${(firstUs / 1e6).toFixed(3)}s ${lag.toFixed(1)}ms batch ${batch.length}\n`);
    if (lag > maxLagMs) maxLagMs = lag;
    if (lag > 250 && !warnedLag) {
      warnedLag = true;
      warn(`replay is falling behind the workload's timestamps (${Math.round(lag)} ms late at t=${(firstUs / 1e6).toFixed(1)}s); the server sees a slower workload than the one simulated`);
    }
    throwIfInterrupted();
    await sendGroup(batch, firstUs);
    requests += batch.length;
    opts.onProgress?.(firstUs, durationUs, requests);
    batch = [];
  };
  let lastT = 0;
  for await (const r of requestsOf(plan, trace)) {
    if (r.t >= durationUs) break;
    lastT = r.t;
    const msStartUs = Math.floor(r.t / 1000) * 1000; // due once its millisecond has begun
    if (r.t >= nextSample || batch.length >= MAX_BATCH || (batch.length > 0 && t0 + msStartUs / 1000 > wallMs())) await send();
    while (nextSample <= r.t && nextSample <= durationUs) {
      await waitUntil(nextSample);
      await sample(nextSample);
      nextSample += intervalUs;
    }
    if (batch.length === 0) await waitUntil(msStartUs);
    batch.push(r);
  }
  await send();
  const achievedRate = requests / ((wallMs() - startWall) / 1000);
  const endUs = durationUs === Infinity ? lastT : durationUs;
  while (nextSample <= endUs) {
    await waitUntil(nextSample);
    await sample(nextSample);
    nextSample += intervalUs;
  }
  if (last.t < endUs) {
    await waitUntil(endUs);
    await sample(endUs);
  }

  const info = lastInfo;
  const hits = num(info, "keyspace_hits"), misses = num(info, "keyspace_misses");
  const summary: Summary = {
    scenario: opts.name,
    seed: plan.seed,
    maxmemory_policy: info.get("maxmemory_policy") ?? plan.redis.maxmemoryPolicy,
    maxmemory: num(info, "maxmemory"),
    duration_s: endUs / US_PER_S,
    requests,
    total_commands_processed: num(info, "total_commands_processed") - cmds0,
    keyspace_hits: hits,
    keyspace_misses: misses,
    hit_ratio: hits + misses > 0 ? round6(hits / (hits + misses)) : "",
    evicted_keys: num(info, "evicted_keys"),
    expired_keys: num(info, "expired_keys"),
    oom_rejected_writes: oom,
    first_oom_s: firstOomUs >= 0 ? firstOomUs / US_PER_S : "",
    used_memory: num(info, "used_memory"),
    used_memory_peak: num(info, "used_memory_peak"),
    used_memory_startup: num(info, "used_memory_startup"),
    keys: num(info, "__keys"),
    expires: num(info, "__expires"),
    expired_stale_perc: num(info, "expired_stale_perc"),
    expired_time_cap_reached_count: num(info, "expired_time_cap_reached_count"),
    total_eviction_exceeded_time: num(info, "total_eviction_exceeded_time"),
  };
  return { summary, maxLagMs: Math.round(maxLagMs), achievedRate: Math.round(achievedRate), redisVersion, memAllocator: server.get("mem_allocator") ?? "?" };
}
