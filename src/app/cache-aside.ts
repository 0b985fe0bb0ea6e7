import { grownInto } from "../core/arrays.ts";
import { latencyHistogram } from "../metrics/histogram.ts";
import type { Rng, Streams } from "../core/random.ts";
import type { Sim } from "../core/sim.ts";
import { Database, DB_OK } from "../db/database.ts";
import type { RedisServer } from "../redis/server.ts";
import { WRITE_OOM } from "../redis/server.ts";
import { MIT_LOCK, MIT_SWR, MIT_TTL_JITTER, MIT_XFETCH, type AppPlan, type CacheAsidePlan, type MitigationPlan } from "./config.ts";
import { Request, type RequestSource } from "../workload/request.ts";

/*
 * Cache-aside clients in front of the modelled database (stampedes and their mitigations: Vattani,
 * Chierichetti and Lowenstein, "Optimal Probabilistic Cache Stampede Prevention", PVLDB 8(8), 2015). An application request arrives (open loop, from the workload), GETs its key from Redis
 * (round trip + the command's service time, queued behind earlier commands on Redis's one thread), and
 * on a hit returns. On a miss it queries the database (pool wait + round trip + service time), SETs the
 * value with the class's TTL and returns. End-to-end latencies go into HDR histograms.
 *
 * Each key class can protect itself against stampedes:
 *   lock        single flight through SET lock:<key> <token> NX PX <lock-ttl>: the winner recomputes and
 *               DELs the lock; losers poll (GET every ~poll) until the value appears or the lock expires
 *               and one of them takes it. A holder may die (holder-failure): its lock then lives out its PX.
 *   xfetch      probabilistic early recomputation (Vattani, Chierichetti, Lowenstein, PVLDB 8(8) 2015): on a
 *               hit, recompute if now − Δ·β·ln(rand) ≥ expiry, Δ being the last recompute's duration.
 *   ttl-jitter  each SET's TTL × (1 ± jitter), uniform.
 *   stale-while-revalidate
 *               the Redis TTL is ttl + stale; after ttl (the soft expiry kept in the value) hits are served
 *               stale and one background refresh (through the lock, or one per stale hit with refresh: none).
 *
 * Simplifications, each acceptable for the question asked (DB load and latency under misses):
 * - Lock keys are not stored in the modelled keyspace: SET NX and DEL are counted as commands but take no
 *   memory and cannot be evicted. (A lock key is ~100 bytes; its eviction under allkeys-* is a real but
 *   second-order failure mode.)
 * - A command's effect on the keyspace is applied when the client sends it; its reply comes a round trip
 *   plus queueing later. Shifting every command by the same half round trip changes no hit or miss.
 * - Latencies are recorded in the interval in which the simulator settles the request's outcome.
 * - While the server is down or loading (restart, crash) every Redis call fails at once (connection
 *   refused or -LOADING); the client then reads the database and does not SET.
 *
 * Per-key client state (the soft expiry and Δ "stored in the value", lock expiry, the open herd) lives in
 * typed arrays indexed by key id; requests in flight live in typed arrays indexed by a reusable slot.
 */

/** Why a herd (the DB queries one key's miss cycle caused) started. */
export const CAUSES = ["cold", "expired", "evicted", "early", "stale"] as const;
const CAUSE_COLD = 0, CAUSE_EXPIRED = 1, CAUSE_EVICTED = 2, CAUSE_EARLY = 3, CAUSE_STALE = 4;

const F_HOLDER = 1;
const F_BACKGROUND = 2;
const F_NOFILL = 4;
/** The request has waited on the lock (its later GETs are polls, not new requests' lookups). */
const F_POLLED = 8;

export interface Herd {
  startUs: number;
  endUs: number;
  cls: number;
  index: number;
  size: number;
  cause: string;
}

export class ClassStats {
  requests = 0;
  hits = 0;
  misses = 0;
  staleServed = 0;
  lockWaits = 0;
  dbQueries = 0;
  inFlight = 0;
  peakInFlight = 0;
  herds = 0;
  herdQueries = 0;
  herdMax = 0;
  errors = 0;
  lockHolderDeaths = 0;
  readonly latency = latencyHistogram();
}


export type { Histogram } from "../metrics/histogram.ts";

export class CacheAside {
  readonly db: Database;
  readonly app: AppPlan;
  readonly classes: ClassStats[];
  private readonly sim: Sim;
  private readonly server: RedisServer;
  private readonly source: RequestSource;
  private readonly mit: MitigationPlan[];
  private readonly rngXfetch: Rng;
  private readonly rngLock: Rng;
  private readonly rngJitter: Rng;
  private readonly rngRetry: Rng;
  private readonly evSubmit: number;
  /** A read that runs again later: a lock waiter's poll, or a retry after a backoff. */
  private readonly evRead: number;
  private readonly scratch = new Request();
  private readonly onOom: () => void;
  onHerd: ((h: Herd) => void) | null = null;

  // Redis's one command thread: when it is next free (µs)
  private redisFreeAt = 0;

  // requests in flight, by slot
  private arrival = new Float64Array(256);
  private key = new Int32Array(256);
  private cls = new Uint16Array(256);
  private index = new Int32Array(256);
  private phase = new Uint8Array(256);
  private attempt = new Uint8Array(256);
  private flags = new Uint8Array(256);
  private free: number[] = [];
  private slots = 0;

  // per key: soft (logical) expiry µs (0 = never filled, Infinity = no TTL), last recompute Δ µs,
  // lock expiry µs, open herd size (0 = none), its start and cause, and the class/index of its key
  private expAt = new Float64Array(0);
  private delta = new Float32Array(0);
  private lockUntil = new Float64Array(0);
  private herdN = new Int32Array(0);
  private herdStart = new Float64Array(0);
  private herdCause = new Uint8Array(0);

  // totals and the current interval
  requests = 0;
  completed = 0;
  errors = 0;
  retries = 0;
  staleServed = 0;
  herds = 0;
  herdQueries = 0;
  intervalHerdMax = 0;
  redisErrors = 0;
  readonly latency = latencyHistogram();
  readonly intervalLatency = latencyHistogram();

  constructor(plan: CacheAsidePlan, sim: Sim, streams: Streams, server: RedisServer, source: RequestSource, onOom: () => void) {
    this.app = plan.app!;
    this.sim = sim;
    this.server = server;
    this.source = source;
    this.onOom = onOom;
    this.mit = this.app.mitigation;
    this.classes = plan.workload.classes.map(() => new ClassStats());
    this.rngXfetch = streams.get("xfetch");
    this.rngLock = streams.get("lock");
    this.rngJitter = streams.get("ttl-jitter");
    this.rngRetry = streams.get("retry");
    const a = this.app;
    this.db = new Database(
      sim,
      streams.get("database"),
      {
        connections: a.connections,
        rttUs: a.dbRttUs,
        service: a.service,
        poolTimeoutUs: a.poolTimeoutUs,
        queryTimeoutUs: a.queryTimeoutUs,
        cancelOnTimeout: a.cancelOnTimeout,
      },
      (slot, outcome, elapsed) => this.dbDone(slot, outcome, elapsed),
    );
    this.evSubmit = sim.on((s) => this.submit(s));
    this.evRead = sim.on((s) => this.read(s));
  }

  // ============================== requests ==============================

  /** A cache-aside read arriving now (req.t = sim.now). */
  request(req: Request): void {
    const s = this.alloc();
    this.arrival[s] = req.t;
    this.key[s] = req.key;
    this.cls[s] = req.cls;
    this.index[s] = req.index;
    this.phase[s] = req.phase;
    this.attempt[s] = 0;
    this.flags[s] = 0;
    this.ensureKey(req.key);
    this.requests++;
    this.classes[req.cls].requests++;
    this.read(s);
  }

  /** One Redis command sent now: its reply time (round trip + queueing on the command thread + service). */
  private redisReply(): number {
    const now = this.sim.now;
    let start = this.redisFreeAt > now ? this.redisFreeAt : now;
    if (this.server.persistence !== null) {
      // a fork stall or an always-fsync holds the main thread: the reply waits for it
      const blocked = this.server.lastReplyAt - this.app.redisCommandUs;
      if (blocked > start) start = blocked;
    }
    this.redisFreeAt = start + this.app.redisCommandUs;
    return this.redisFreeAt + this.app.redisRttUs;
  }

  private get down(): boolean {
    return this.server.down;
  }

  /** The GET of a read (first try, retry or a lock waiter's poll). */
  private read(s: number): void {
    const now = this.sim.now;
    const k = this.key[s], c = this.cls[s];
    const st = this.classes[c];
    const first = this.attempt[s] === 0 && (this.flags[s] & (F_HOLDER | F_POLLED)) === 0;
    if (!this.down) this.flags[s] &= ~F_NOFILL; // a retry after the server came back fills again
    if (this.down) {
      // connection refused: read the database, do not fill
      this.redisErrors++;
      this.flags[s] |= F_NOFILL;
      if (first) st.misses++;
      this.toDatabase(s, now + this.app.redisRttUs, this.causeOf(k));
      return;
    }
    const hit = this.server.get(k);
    const reply = this.redisReply();
    const m = this.mit[c];
    if (hit) {
      if (first) st.hits++;
      if (m.kind === MIT_XFETCH) {
        // recompute early if now − Δ·β·ln(rand) ≥ expiry (rand uniform on (0, 1])
        if (now - this.delta[k] * m.beta * Math.log(this.rngXfetch.nextOpen()) >= this.expAt[k]) {
          this.toDatabase(s, reply, CAUSE_EARLY);
          return;
        }
      } else if (m.kind === MIT_SWR && now >= this.expAt[k]) {
        // past the soft TTL: serve the stale value now, refresh in the background
        this.staleServed++;
        st.staleServed++;
        if (!m.refreshLock || this.tryLock(k, m)) this.background(s, reply, m.refreshLock);
        this.complete(s, reply);
        return;
      }
      this.complete(s, reply);
      return;
    }
    if (first) st.misses++;
    if (m.kind === MIT_LOCK || (m.kind === MIT_SWR && m.refreshLock)) {
      if (this.tryLock(k, m)) {
        this.flags[s] |= F_HOLDER;
        const acquired = this.redisReply();
        if (m.holderFailure > 0 && this.rngLock.next() < m.holderFailure) {
          // the holder dies after taking the lock: nobody refills until the lock's PX runs out
          st.lockHolderDeaths++;
          st.errors++;
          this.errors++;
          this.release(s);
          return;
        }
        this.toDatabase(s, acquired, this.causeOf(k));
      } else {
        if (first) st.lockWaits++;
        this.flags[s] |= F_POLLED;
        this.sim.at(reply + this.pollGap(m), this.evRead, s);
      }
      return;
    }
    this.toDatabase(s, reply, this.causeOf(k));
  }

  private pollGap(m: MitigationPlan): number {
    // waiters retry after a random delay (distributed-locks.md "Retry on Failure"): uniform 0.5–1.5 × poll
    return Math.round(m.pollUs * (0.5 + this.rngLock.next()));
  }

  /** SET lock:<key> NX PX: true (and the lock taken) when no live lock exists. */
  private tryLock(k: number, m: MitigationPlan): boolean {
    const now = this.sim.now;
    this.server.countCommand();
    if (this.lockUntil[k] > now) return false;
    this.lockUntil[k] = now + m.lockTtlUs;
    return true;
  }

  /** A background refresh for the stale value of request `s`'s key (no user waits for it). */
  private background(s: number, at: number, holder: boolean): void {
    const b = this.alloc();
    this.arrival[b] = this.sim.now;
    this.key[b] = this.key[s];
    this.cls[b] = this.cls[s];
    this.index[b] = this.index[s];
    this.phase[b] = this.phase[s];
    this.attempt[b] = 0;
    this.flags[b] = F_BACKGROUND | (holder ? F_HOLDER : 0);
    this.toDatabase(b, at, CAUSE_STALE);
  }

  private causeOf(k: number): number {
    const e = this.expAt[k];
    if (e === 0) return CAUSE_COLD;
    return this.sim.now >= e ? CAUSE_EXPIRED : CAUSE_EVICTED;
  }

  /** Sends request `s`'s query to the database at time `at` (when the client has its Redis reply). */
  private toDatabase(s: number, at: number, cause: number): void {
    const k = this.key[s], c = this.cls[s];
    if (this.herdN[k] === 0) {
      this.herdStart[k] = this.sim.now;
      this.herdCause[k] = cause;
    }
    this.herdN[k]++;
    const st = this.classes[c];
    st.dbQueries++;
    if (++st.inFlight > st.peakInFlight) st.peakInFlight = st.inFlight;
    if (at <= this.sim.now) this.submit(s);
    else this.sim.at(at, this.evSubmit, s);
  }

  private submit(s: number): void {
    this.db.submit(s, this.app.queryKind[this.cls[s]]);
  }

  private dbDone(s: number, outcome: number, elapsedUs: number): void {
    const now = this.sim.now;
    const k = this.key[s], c = this.cls[s];
    const st = this.classes[c];
    st.inFlight--;
    const holder = (this.flags[s] & F_HOLDER) !== 0;
    if (outcome === DB_OK) {
      let reply = now;
      if ((this.flags[s] & F_NOFILL) === 0 && !this.down) {
        this.fill(s, k, c, elapsedUs);
        reply = this.redisReply();
        if (holder) {
          // DEL of the lock (compare-and-delete script): one more command, not waited for
          this.server.countCommand();
          this.redisReply();
          this.lockUntil[k] = 0;
        }
      }
      this.closeHerd(k, c, s);
      if ((this.flags[s] & F_BACKGROUND) !== 0) this.release(s);
      else this.complete(s, reply);
      return;
    }
    // timed out (pool or query): release the lock, retry the whole read after a backoff, or fail
    if (holder && !this.down) {
      this.server.countCommand();
      this.lockUntil[k] = 0;
    }
    this.flags[s] &= ~F_HOLDER;
    const r = this.app.retry;
    if ((this.flags[s] & F_BACKGROUND) === 0 && this.attempt[s] < r.max) {
      const cap = Math.min(r.capUs, r.baseUs * 2 ** this.attempt[s]);
      this.attempt[s]++;
      this.retries++;
      this.sim.at(now + Math.round(r.full ? this.rngRetry.next() * cap : cap), this.evRead, s);
      return;
    }
    if ((this.flags[s] & F_BACKGROUND) !== 0) {
      this.release(s);
      return;
    }
    st.errors++;
    this.errors++;
    this.complete(s, now);
  }

  /** The SET after a recompute, with the class's TTL and the mitigation's bookkeeping. */
  private fill(s: number, k: number, c: number, elapsedUs: number): void {
    const req = this.scratch;
    req.t = this.arrival[s];
    req.key = k;
    req.cls = c;
    req.index = this.index[s];
    req.phase = this.phase[s];
    this.source.fill(req);
    this.store(k, c, req.vlen, req.ttlMs, elapsedUs);
  }

  private store(k: number, c: number, vlen: number, ttlMs: number, deltaUs: number, jitter = true): void {
    const m = this.mit[c];
    const now = this.sim.now;
    let redisTtl = ttlMs;
    if (ttlMs > 0 && jitter && m.kind === MIT_TTL_JITTER) redisTtl = ttlMs = Math.max(1, Math.round(ttlMs * (1 + m.jitter * (2 * this.rngJitter.next() - 1))));
    if (ttlMs > 0 && m.kind === MIT_SWR) redisTtl = ttlMs + Math.round(m.staleUs / 1000);
    this.expAt[k] = ttlMs > 0 ? now + ttlMs * 1000 : Infinity;
    this.delta[k] = deltaUs;
    const r = this.server.set(k, vlen, -1, redisTtl);
    if (r === WRITE_OOM) this.onOom();
  }

  private closeHerd(k: number, c: number, s: number): void {
    const n = this.herdN[k];
    if (n === 0) return;
    this.herdN[k] = 0;
    const st = this.classes[c];
    st.herds++;
    st.herdQueries += n;
    if (n > st.herdMax) st.herdMax = n;
    this.herds++;
    this.herdQueries += n;
    if (n > this.intervalHerdMax) this.intervalHerdMax = n;
    this.onHerd?.({ startUs: this.herdStart[k], endUs: this.sim.now, cls: c, index: this.index[s], size: n, cause: CAUSES[this.herdCause[k]] });
  }

  private complete(s: number, endUs: number): void {
    const lat = Math.max(1, Math.round(endUs - this.arrival[s]));
    this.latency.recordValue(lat);
    this.intervalLatency.recordValue(lat);
    this.classes[this.cls[s]].latency.recordValue(lat);
    this.completed++;
    this.release(s);
  }

  // ============================== events ==============================

  /** After a flush, restart or crash: keys that are gone are cold again, and the lock keys are lost. */
  forgetMissing(): void {
    const ks = this.server.ks;
    for (let k = 0; k < this.expAt.length; k++) if (this.expAt[k] !== 0 && (k >= ks.capacity || !ks.exists(k))) this.expAt[k] = 0;
    this.lockUntil.fill(0);
    this.redisFreeAt = Math.max(this.redisFreeAt, this.server.downUntil);
  }

  /**
   * The fill of one prewarmed key (RedisServer.warm chooses the keys and their remaining TTL): stored as
   * if a client had filled it `ttl − ttlMs` ago after a query of the class's mean duration. ttl-jitter is
   * not applied again (the remaining TTL is already spread); stale-while-revalidate adds its stale window.
   */
  prewarmStore(k: number, c: number, vlen: number, ttlMs: number): void {
    this.ensureKey(k);
    this.store(k, c, vlen, ttlMs, this.app.service[this.app.queryKind[c]].mean, false);
  }

  // ============================== slots and arrays ==============================

  private alloc(): number {
    if (this.free.length > 0) return this.free.pop()!;
    if (this.slots === this.arrival.length) {
      const n = this.slots * 2;
      this.arrival = grownInto(this.arrival, new Float64Array(n));
      this.key = grownInto(this.key, new Int32Array(n));
      this.cls = grownInto(this.cls, new Uint16Array(n));
      this.index = grownInto(this.index, new Int32Array(n));
      this.phase = grownInto(this.phase, new Uint8Array(n));
      this.attempt = grownInto(this.attempt, new Uint8Array(n));
      this.flags = grownInto(this.flags, new Uint8Array(n));
    }
    return this.slots++;
  }

  private release(s: number): void {
    this.free.push(s);
  }

  private ensureKey(k: number): void {
    if (k < this.expAt.length) return;
    const n = Math.max(1024, k + 1, this.expAt.length * 2);
    this.expAt = grownInto(this.expAt, new Float64Array(n));
    this.delta = grownInto(this.delta, new Float32Array(n));
    this.lockUntil = grownInto(this.lockUntil, new Float64Array(n));
    this.herdN = grownInto(this.herdN, new Int32Array(n));
    this.herdStart = grownInto(this.herdStart, new Float64Array(n));
    this.herdCause = grownInto(this.herdCause, new Uint8Array(n));
  }
}

