import type { Rng, Streams } from "../core/random.ts";
import type { Sim } from "../core/sim.ts";
import { US_PER_MS } from "../core/time.ts";
import type { RedisConfig } from "./config.ts";
import { DICT_FORCE_RESIZE_RATIO, DICT_HT_INITIAL_SIZE, HASHTABLE_MAX_LOAD_FACTOR, RESIZE_AVOID, RESIZE_ENABLE, type DictModel, type ExpandAllowed } from "./dict.ts";
import { EVICT_FAIL, EVICT_OK, performEvictions } from "./evict.ts";
import { activeExpireCycle, CYCLE_FAST, CYCLE_SLOW, ExpireState } from "./expire.ts";
import { Keyspace, NO_KEY, R_ALLPOS, R_META, R_VALLEN, R_VOLPOS, REC, type Db } from "./keyspace.ts";
import { lruClockAt } from "./lru.ts";
import { MemoryModel, memoryUsage, stringEncoding } from "./memory.ts";
import { OptIndex } from "./opt.ts";
import { CAND_ALLKEYS, POLICIES, sharesIntegers } from "./policies.ts";
import { EvictionPool } from "./pool.ts";
import { Stats } from "./stats.ts";
import type { ScorePolicy, WarmKeys } from "./types.ts";
import { delProtoBytes, setProtoBytes, type Persistence } from "./persistence.ts";

export type { WarmKeys } from "./types.ts";

export const CMD_GET = 1;
export const CMD_SET = 2;
export const CMD_DEL = 4;

export const WRITE_OK = 0;
export const WRITE_OOM = 1;
/** Rejected with -MISCONF: the last bgsave failed and stop-writes-on-bgsave-error is on. */
export const WRITE_MISCONF = 2;

/**
 * Buckets the cron's 1 ms of incremental rehashing migrates (server.c incrementallyRehash →
 * dict.c dictRehashMilliseconds: 100-bucket steps until 1 ms has passed). Not measured; ≈ 50 ns a bucket.
 * Only the time two tables coexist depends on it (docs/model.md §13, "may abstract" 3).
 */
export const CRON_REHASH_BUCKETS = 20_000;

/**
 * One modelled Redis 7.0 server: keyspace, memory, eviction, expiry. Commands are methods taking integer
 * key ids; each runs Redis's per-command sequence (server.c processCommand / call):
 * performEvictions when maxmemory ≠ 0 (rejecting writes on EVICT_FAIL), refresh the cached time, the
 * command itself with lazy expiry and touch, then record the memory peak and run beforeSleep's fast
 * expire cycle when gated in. Commands take no simulated time.
 */
/** Idle stretches shorter than this many cron ticks are run tick by tick (no skipping). */
const IDLE_SKIP_MIN_TICKS = 100;

export class RedisServer {
  readonly ks: Keyspace;
  readonly mem: MemoryModel;
  readonly stats = new Stats();
  readonly pool = new EvictionPool();
  /** Scratch space for one populate call's sampled keys. */
  readonly sampleBuf: Int32Array;
  readonly expireState = new ExpireState();
  /** used_memory, bytes. */
  used: number;
  readonly maxmemory: number;
  /** The policy's candidate set (CAND_*, policies.ts). */
  readonly candidates: number;
  /** The policy's score behaviour (policy/*.ts): touches, new keys, overwrites, deletes, scores, victims, prewarm stamps. */
  readonly scorePolicy: ScorePolicy;
  /** The `lru` fields hold LFU data (the LFU policies). */
  readonly lfu: boolean;
  /** Belady's index, under the `opt` reference policy only (ScorePolicy.needsNextUse). */
  readonly opt: OptIndex | null;
  /** Next-access index of the request being executed (for `opt`); set by the driver. */
  nextAccess = -1;
  readonly sharedIntegers: boolean;
  /** The cron-cached LRU clock (seconds mod 2^24). */
  lruclock: number;
  /** The command-start cached time, simulated ms. */
  nowMs = 0;
  /** True while a fork child exists (BGSAVE / AOF rewrite): no touches, no resizing. */
  childActive = false;
  /** RDB/AOF and their costs (null when the scenario configures no persistence). */
  persistence: Persistence | null = null;
  /** When the reply of the last command leaves (µs): after fork stalls and fsyncs, with persistence. */
  lastReplyAt = 0;
  /** The server is down (restarting) or loading its dataset until this time (µs): commands fail. */
  downUntil = -1;
  resizePolicy = RESIZE_ENABLE;
  /** DBs that may hold keys, ascending; the others are always empty and cost nothing to skip. */
  activeDbs: number[] = [];
  /** Round-robin DB cursor of the random policies (evict.c next_db). */
  nextDb = 0;
  bgEvictionRunning = false;
  /** Start of the current over-limit period, µs, or −1 (stat_eviction_exceeded_time stopwatch). */
  exceededSince = -1;
  readonly rngEvict: Rng;
  readonly rngLfu: Rng;
  /** Draws of the prewarm: which keys of the steady state are present, their idle times, counters and TTLs. */
  readonly rngWarm: Rng;
  private readonly expandAllowed: ExpandAllowed;
  private readonly cronKind: number;
  private readonly bgEvictKind: number;
  private rehashDb = 0;
  readonly cronPeriodUs: number;
  /** The effective hz (configured hz raised by dynamic-hz for many clients). */
  readonly hz: number;

  readonly cfg: RedisConfig;
  readonly sim: Sim;

  constructor(cfg: RedisConfig, sim: Sim, streams: Streams, capacity = 0) {
    this.cfg = cfg;
    this.sim = sim;
    const policy = POLICIES[cfg.maxmemoryPolicy];
    this.maxmemory = cfg.maxmemory;
    this.candidates = policy.candidates;
    this.scorePolicy = policy.score;
    this.lfu = policy.score.lfu;
    this.opt = policy.score.needsNextUse ? new OptIndex() : null;
    this.sampleBuf = new Int32Array(cfg.maxmemorySamples);
    this.sharedIntegers = sharesIntegers(cfg.maxmemoryPolicy, cfg.maxmemory);
    this.ks = new Keyspace(cfg.databases, capacity, policy.score.needsLruList, streams.get("hash").u32() | 0);
    this.mem = new MemoryModel(cfg.allocator, cfg.memoryAccounting, cfg.clusterEnabled);
    if (this.mem.objectSize) for (const db of this.ks.dbs) db.main.slotBytes = db.expires.slotBytes = 0;
    this.used = this.mem.startup + cfg.clients * this.mem.clientBytes;
    this.stats.used_memory_peak = this.used;
    this.rngEvict = streams.get("evict");
    this.rngLfu = streams.get("lfu");
    this.rngWarm = streams.get("prewarm");

    this.lruclock = lruClockAt(0);
    // server.c dictExpandAllowed: near maxmemory a DB dict may run up to 1.618 keys per slot before it grows.
    this.expandAllowed = (moreMem, ratio) =>
      ratio > HASHTABLE_MAX_LOAD_FACTOR || this.maxmemory === 0 || this.used + moreMem <= this.maxmemory;
    this.cronKind = sim.on(() => this.serverCron());
    this.bgEvictKind = sim.on(() => this.evictionTimeProc());
    // serverCron runs every 1000/hz ms (integer division). dynamic-hz (on by default) doubles hz while
    // clients / hz > 200 (MAX_CLIENTS_PER_CLOCK_TICK), up to 500; our client count is fixed, so so is hz.
    let hz = cfg.hz;
    while (Math.floor(cfg.clients / hz) > 200 && hz < 500) hz = Math.min(500, hz * 2);
    this.hz = hz;
    this.cronPeriodUs = Math.floor(1000 / hz) * US_PER_MS;
    sim.after(this.cronPeriodUs, this.cronKind);
  }

  /** Declares key id `key` (its DB and name length) before first use. */
  defineKey(key: number, db: number, keyLen: number): void {
    this.ks.ensure(key + 1);
    this.ks.define(key, db, keyLen);
    if (!this.activeDbs.includes(db)) {
      this.activeDbs.push(db);
      this.activeDbs.sort((a, b) => a - b);
    }
  }

  // ============================== commands ==============================

  /** GET: a read lookup. Returns true on a hit. */
  get(key: number): boolean {
    this.processCommand();
    const hit = this.lookupKeyRead(key);
    this.call(CMD_GET);
    if (this.persistence !== null) this.lastReplyAt = this.persistence.readReply(this.sim.now);
    return hit;
  }

  /** Whether the server is down or loading now (every command fails: connection refused / -LOADING). */
  get down(): boolean {
    return this.sim.now < this.downUntil;
  }

  /**
   * SET key value [PX ttl]: `vlen` value bytes; `intValue` ≥ 0 when the value is a canonical decimal
   * integer (else −1); `ttlMs` > 0 sets a TTL, 0 clears any (SET without KEEPTTL).
   * Returns WRITE_OK, or WRITE_OOM when rejected.
   */
  set(key: number, vlen: number, intValue: number, ttlMs: number): number {
    const p = this.persistence;
    if (p !== null && p.writesDenied()) {
      // processCommand: -MISCONF before anything runs
      p.misconfRejected++;
      this.lastReplyAt = p.readReply(this.sim.now);
      return WRITE_MISCONF;
    }
    if (this.processCommand() === EVICT_FAIL) {
      // rejected before call(): not counted in total_commands_processed, no histogram
      this.stats.oom_rejected_writes++;
      this.afterCommand();
      return WRITE_OOM;
    }
    this.setKey(key, vlen, intValue, ttlMs);
    this.call(CMD_SET);
    if (p !== null) this.lastReplyAt = p.afterWrite(key, setProtoBytes(this.ks.keyLenOf(key), vlen, ttlMs > 0));
    return WRITE_OK;
  }

  /** A command that touches no modelled key (the lock key of SET NX PX, its DEL): counted only. */
  countCommand(): void {
    this.stats.total_commands_processed++;
  }

  /** DEL: never rejected. Returns true when a live key was deleted. */
  del(key: number): boolean {
    const p = this.persistence;
    if (p !== null && p.writesDenied()) {
      p.misconfRejected++;
      return false;
    }
    this.processCommand();
    const db = this.ks.dbs[this.ks.dbOf(key)];
    let deleted = false;
    if (!this.expireIfNeeded(key, db) && this.ks.exists(key)) {
      this.deleteKey(key);
      deleted = true;
    }
    this.call(CMD_DEL);
    if (p !== null && deleted) this.lastReplyAt = p.afterWrite(key, delProtoBytes(this.ks.keyLenOf(key)));
    return deleted;
  }

  /**
   * FLUSHALL (SYNC): every key of every DB deleted, the dicts emptied (their tables freed, as emptyData →
   * dictEmpty does). Not counted as evictions or expirations. Used for the `flushall` and `restart` events.
   */
  flushall(): void {
    const ks = this.ks;
    for (const db of ks.dbs) {
      while (db.allN > 0) this.deleteKey(db.all[2 * (db.allN - 1)]);
      this.used += db.main.clear() + db.expires.clear();
      db.expiresCursor = 0;
    }
    // eviction pool entries for deleted keys are ghosts, skipped when popped (as after any deletion)
  }

  /** Bytes of the simulator's own structures for this server (keyspace records, dense arrays, buckets). */
  modelBytes(): number {
    const ks = this.ks;
    let b = ks.rec.byteLength + (ks.prev?.byteLength ?? 0) + (ks.next?.byteLength ?? 0) + (this.opt?.nextUse.byteLength ?? 0);
    b += ks.expNext.byteLength + ks.mainNext.byteLength;
    for (const db of ks.dbs) b += db.all.byteLength + db.vol.byteLength + db.expHeads.byteLength + db.mainHeads.byteLength;
    return b;
  }

  /** MEMORY USAGE key: no touch, no expiry check, no stats (object.c memoryCommand). −1 if absent. */
  memoryUsage(key: number): number {
    const ks = this.ks;
    if (!ks.exists(key)) return -1;
    return memoryUsage(this.mem.A, ks.keyLenOf(key), ks.valLenOf(key), ks.encOf(key), this.mem.entryMeta);
  }

  // ============================== prewarm ==============================

  /**
   * A prewarm (the `prewarm` event, or `restart` with `keys:`): loads `keys` (hottest first; keys that
   * exist already are left as they are) in the state a server that had been serving this traffic for a
   * while would hold them, without ever passing maxmemory, so the load itself never evicts a key and never
   * meets an OOM error (under noeviction and volatile-* too). `load(i, ttlMs)` sends the SET of key i
   * with the TTL given (the caller's own SET: a plain one, or the cache-aside client's fill).
   *
   * - Which keys: where everything fits, all of them. Otherwise the steady state of the policy under
   *   independent requests at each key's rate: allkeys-lru and exact-lru by Che's approximation,
   *   allkeys-random by its random-eviction counterpart (lru.ts), allkeys-lfu with decay by the counter
   *   chain of lfu.ts; each key is drawn present with its probability, the characteristic time chosen so
   *   that the present keys fill memory. noeviction, volatile-*, volatile-ttl, opt and LFU without decay
   *   keep the hottest keys (a server that never evicts a key it still reads, or one whose counters only
   *   grow, holds the most popular ones; volatile-* can only evict keys with a TTL, and which of those a
   *   warm server holds depends on the mix of TTL and non-TTL keys, which we do not model).
   *   Then, hottest first, each drawn key is stored until the next one would not fit under maxmemory
   *   (its bytes, its TTL entry, and the bucket arrays it would make grow, as Redis would grow them).
   * - Their state: LRU idle times and LFU counters as the steady state has them (lru.ts, lfu.ts), set
   *   directly, as RESTORE … IDLETIME / FREQ and an RDB load do (object.c objectSetLRUOrLFU).
   * - TTLs: a key with a TTL was stored some time ago: its remaining TTL is uniform in (0, ttl] (the
   *   residual life of a key refilled on each expiry, for a key read often enough to be refilled at once),
   *   so the loaded keys do not all expire together.
   * Simplifications: requests are treated as independent draws at a fixed rate per key (the generator's
   * popularity is exactly that); a key's TTL does not lower its chance to be present (a rarely read key
   * whose TTL ran out would be absent in a real warm cache); with a prewarm of part of the keys (keys:
   * 20 %) the steady state is that of those keys alone. `commands` (CMD_* bits): the commands the
   * workload sends; room is left for the latency histograms of those that have not run yet (a warm server
   * has them), so that the first GET after the load does not take used_memory past maxmemory either.
   * Returns the number of keys loaded.
   */
  warm(keys: WarmKeys, load: (i: number, ttlMs: number) => void, commands = 0): number {
    const steps = this.warmSteps(keys, load, commands);
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
    }
  }

  /** warm one step at a time: yields between the passes over the keys and every 65 536 keys loaded. */
  *warmSteps(keys: WarmKeys, load: (i: number, ttlMs: number) => void, commands = 0): Generator<void, number, void> {
    const n = keys.key.length;
    const ks = this.ks;
    const rng = this.rngWarm;
    const nowMs = Math.floor(this.sim.now / US_PER_MS);
    let reserve = 0;
    for (const bit of [CMD_GET, CMD_DEL]) if ((commands & bit) !== 0 && (this.commandsSeen & bit) === 0) reserve += this.mem.histogramBytes;
    // the score behaviour's stamps (idle times, counters) and, under allkeys-*, the steady state's presence
    // probability of key i for a characteristic time t (s)
    const stamps = this.scorePolicy.warm(keys, nowMs, this);
    let presence = this.candidates === CAND_ALLKEYS ? stamps.presence : null;
    let t = Infinity;
    if (presence !== null && this.maxmemory !== 0) {
      const bytes = new Float64Array(n);
      let total = 0;
      for (let i = 0; i < n; i++) {
        if (ks.exists(keys.key[i])) continue;
        bytes[i] = this.keyBytesFor(keys.key[i], keys.vlen[i]) + (keys.ttlMs[i] > 0 ? this.mem.ttlEntry : 0);
        total += bytes[i];
      }
      const budget = this.maxmemory - this.used - reserve;
      if (total > budget) {
        const p = presence;
        const filled = (tt: number) => {
          let s = 0;
          for (let i = 0; i < n; i++) if (bytes[i] > 0) s += bytes[i] * p(i, tt);
          return s;
        };
        let lo = 1e-3, hi = 1e9;
        if (filled(hi) < budget) presence = null; // (LFU: memory would not fill; keep the hottest)
        else {
          while (hi / lo > 1.0001) {
            const mid = Math.sqrt(lo * hi);
            if (filled(mid) > budget) hi = mid;
            else lo = mid;
            yield;
          }
          t = lo;
        }
      }
    }
    let loaded = 0;
    for (let i = 0; i < n; i++) {
      const k = keys.key[i];
      if (ks.exists(k)) continue;
      if (presence !== null && t !== Infinity && rng.next() >= presence(i, t)) continue;
      const ttl = keys.ttlMs[i] > 0 ? Math.max(1, Math.ceil((1 - rng.next()) * keys.ttlMs[i])) : 0;
      if (this.maxmemory !== 0 && this.used + reserve + this.warmCost(k, keys.vlen[i], ttl > 0) > this.maxmemory) break;
      load(i, ttl);
      if (!ks.exists(k)) break; // refused (MISCONF)
      loaded++;
      ks.setLru(k, stamps.stamp(i, k, t, rng.next()));
      if ((loaded & 0xffff) === 0) yield;
    }
    stamps.finish();
    return loaded;
  }

  /** used_memory bytes of key `key` with a `vlen`-byte value (not an integer), without its TTL entry. */
  private keyBytesFor(key: number, vlen: number): number {
    return this.mem.keyBytes(this.ks.keyLenOf(key), vlen, stringEncoding(vlen, false, -1, this.sharedIntegers));
  }

  /**
   * At most what `set(key, vlen, -1, ttl)` of a key that does not exist would add to used_memory now
   * (setKey's allocations and dict growth as expandAllowed would allow it, and SET's latency histogram
   * on its first call); a rehash step's freeing is not counted, so it never underestimates.
   */
  private warmCost(key: number, vlen: number, ttl: boolean): number {
    const db = this.ks.dbs[this.ks.dbOf(key)];
    const bytes = this.keyBytesFor(key, vlen);
    const entry = this.mem.objectSize ? 0 : this.mem.A(24);
    let cost = bytes + this.dictGrowth(db.main, this.used + bytes - entry);
    if (ttl) cost += this.dictGrowth(db.expires, this.used + cost) + this.mem.ttlEntry;
    if ((this.commandsSeen & CMD_SET) === 0) cost += this.mem.histogramBytes;
    return cost;
  }

  /** Bytes dict.add would allocate now (DictModel.add with this server's expandAllowed), at used_memory `usedAt`. */
  private dictGrowth(d: DictModel, usedAt: number): number {
    if (d.size0 === 0) return d.slotBytes * DICT_HT_INITIAL_SIZE;
    if (d.rehashIdx >= 0 || d.used < d.size0) return 0;
    const ratio = d.used / d.size0;
    if (!(this.resizePolicy === RESIZE_ENABLE || Math.floor(ratio) > DICT_FORCE_RESIZE_RATIO)) return 0;
    let next = DICT_HT_INITIAL_SIZE;
    while (next < d.used + 1) next *= 2;
    const more = d.slotBytes * next;
    return ratio > HASHTABLE_MAX_LOAD_FACTOR || this.maxmemory === 0 || usedAt + more <= this.maxmemory ? more : 0;
  }

  // ============================== per-command sequence ==============================

  /** Commands executed at least once (CMD_* bits): each allocates its latency histogram on first use. */
  private commandsSeen = 0;

  /**
   * The end of server.c call() for an executed command: count it, allocate its latency histogram the
   * first time it runs, then afterCommand.
   */
  private call(bit: number): void {
    this.stats.total_commands_processed++;
    if ((this.commandsSeen & bit) === 0) {
      this.commandsSeen |= bit;
      this.used += this.mem.histogramBytes;
    }
    this.afterCommand();
  }

  private processCommand(): number {
    // Redis refreshes the cached time after performEvictions; we refresh it before. It differs only when
    // a command arrives across a minute boundary since the last one (LFU scores), and only by a minute.
    this.nowMs = Math.floor(this.sim.now / US_PER_MS);
    if (this.maxmemory !== 0 && (this.used > this.maxmemory || this.exceededSince >= 0)) return performEvictions(this);
    return EVICT_OK;
  }

  private afterCommand(): void {
    if (this.used > this.stats.used_memory_peak) this.stats.used_memory_peak = this.used;
    // beforeSleep: the fast expire cycle, gated (cheap test first).
    if (this.expireState.timelimitExit && this.cfg.activeExpire) activeExpireCycle(this, CYCLE_FAST);
  }

  // ============================== db.c ==============================

  /** expireIfNeeded: deletes `key` if its TTL has passed (strictly). Returns true if it was expired. */
  private expireIfNeeded(key: number, db: Db): boolean {
    if (db.expires.used === 0) return false;
    if (db.expires.rehashIdx >= 0) this.used += db.expires.rehashStep(); // getExpire → dictFind
    if (this.ks.rec[key * REC + R_VOLPOS] !== NO_KEY && this.nowMs > this.ks.expireAt[key]) {
      this.deleteExpiredKey(key);
      return true;
    }
    return false;
  }

  /** lookupKeyRead: lazy expiry, hit/miss counting, touch. */
  private lookupKeyRead(key: number): boolean {
    const ks = this.ks;
    const meta = ks.rec[key * REC + R_META];
    const db = ks.dbs[meta >>> 24];
    if (db.main.rehashIdx >= 0) this.used += db.main.rehashStep(); // dictFind
    if (ks.rec[key * REC + R_ALLPOS] === NO_KEY || this.expireIfNeeded(key, db)) {
      this.stats.keyspace_misses++;
      return false;
    }
    this.touch(key, db);
    this.stats.keyspace_hits++;
    return true;
  }

  /**
   * The touch of lookupKey: the score behaviour's update of the `lru` field (LRU stamp or LFU update),
   * skipped while a fork child exists; the reference policies' own bookkeeping (exact-lru's list, opt's
   * next use) always.
   */
  private touch(key: number, db: Db): void {
    const p = this.scorePolicy;
    const accessed = p.accessed;
    if (accessed !== null) accessed(key, this);
    if (this.childActive) return;
    const all = db.all;
    const i = 2 * this.ks.rec[key * REC + R_ALLPOS] + 1;
    all[i] = p.access(all[i], this);
  }

  /**
   * t_string.c setGenericCommand → db.c setKey: lookupKeyWrite (lazy expiry, touch), dbAdd or
   * dbOverwrite, removeExpire (no KEEPTTL), then setExpire when a TTL is given.
   *
   * Simplification: Redis allocates the value object while parsing the request, before performEvictions
   * measures memory, and frees the argv key after the command; we allocate both at execution. This
   * shifts where used_memory sits around maxmemory by less than one key's size.
   */
  private setKey(key: number, vlen: number, intValue: number, ttlMs: number): void {
    const ks = this.ks;
    const r = key * REC;
    const childTouch = this.childActive && this.persistence !== null;
    const meta = ks.rec[r + R_META];
    const db = ks.dbs[meta >>> 24];
    const A = this.mem.A;
    if (db.main.rehashIdx >= 0) this.used += db.main.rehashStep(); // lookupKeyWrite → dictFind
    const enc = stringEncoding(vlen, intValue >= 0, intValue, this.sharedIntegers);
    const bytes = this.mem.keyBytes(meta & 0xffff, vlen, enc);
    if (childTouch) this.persistence!.cowTouch(key, true, ks.rec[r + R_ALLPOS] === NO_KEY, meta & 0xffff, enc, vlen);
    if (ks.rec[r + R_ALLPOS] !== NO_KEY && !this.expireIfNeeded(key, db)) {
      this.touch(key, db);
      // dbOverwrite: the new value object. Under LRU it carries its creation stamp (the clock now);
      // under LFU the old object's (just-touched) lru field is copied, so the frequency survives.
      const i = 2 * ks.rec[r + R_ALLPOS] + 1;
      db.all[i] = this.scorePolicy.overwritten(db.all[i], this);
      this.used += bytes - this.keyBytesOf(key);
    } else {
      // dbAdd: value and key sds exist before dictAdd checks whether the table may grow.
      const entry = this.mem.objectSize ? 0 : A(24);
      this.used += bytes - entry;
      this.used += db.main.add(this.resizePolicy, this.expandAllowed);
      this.used += entry;
      ks.link(key, db, this.scorePolicy.created(this));
      this.persistence?.noteBorn(key);
      const added = this.scorePolicy.added;
      if (added !== null) added(key, this);
    }
    ks.rec[r + R_VALLEN] = vlen;
    ks.rec[r + R_META] = (meta & ~0xff0000) | (enc << 16);
    // removeExpire
    if (db.expires.used > 0) {
      if (ks.rec[r + R_VOLPOS] !== NO_KEY) this.removeExpire(key, db);
      else if (db.expires.rehashIdx >= 0) this.used += db.expires.rehashStep();
    }
    if (ttlMs > 0) {
      // setExpire: dictFind on the main dict, then add to the expires dict.
      if (db.main.rehashIdx >= 0) this.used += db.main.rehashStep();
      this.used += db.expires.add(this.resizePolicy, this.expandAllowed);
      this.used += this.mem.ttlEntry;
      ks.linkVolatile(key, db);
      ks.expireAt[key] = this.nowMs + ttlMs;
    }
  }

  private removeExpire(key: number, db: Db): void {
    this.used += db.expires.remove();
    this.used -= this.mem.ttlEntry;
    this.ks.unlinkVolatile(key, db);
  }

  /** dbSyncDelete: the expires entry first, then the main entry. */
  deleteKey(key: number): void {
    const ks = this.ks;
    const db = ks.dbs[ks.rec[key * REC + R_META] >>> 24];
    if (this.childActive) this.persistence?.cowTouch(key, false, false, 0, 0, 0);
    if (db.expires.used > 0) {
      if (ks.rec[key * REC + R_VOLPOS] !== NO_KEY) this.removeExpire(key, db);
      else if (db.expires.rehashIdx >= 0) this.used += db.expires.rehashStep();
    }
    this.used += db.main.remove();
    this.used -= this.keyBytesOf(key);
    ks.unlink(key, db);
    const deleted = this.scorePolicy.deleted;
    if (deleted !== null) deleted(key, this);
  }

  /** used_memory bytes of an existing key without its TTL entry (recomputed: cheaper than storing it). */
  keyBytesOf(key: number): number {
    const r = key * REC;
    const meta = this.ks.rec[r + R_META];
    return this.mem.keyBytes(meta & 0xffff, this.ks.rec[r + R_VALLEN], (meta >>> 16) & 0xff);
  }

  /** deleteExpiredKeyAndPropagate: delete and count in expired_keys. */
  deleteExpiredKey(key: number): void {
    this.deleteKey(key);
    this.stats.expired_keys++;
  }

  // ============================== time events ==============================

  /** serverCron: LRU clock, databasesCron (slow expire cycle, shrink, 1 ms rehash), then beforeSleep. */
  private serverCron(): void {
    this.nowMs = Math.floor(this.sim.now / US_PER_MS);
    this.lruclock = lruClockAt(this.nowMs);
    if (this.cfg.activeExpire) activeExpireCycle(this, CYCLE_SLOW);
    if (!this.childActive) {
      const ks = this.ks;
      for (const id of this.activeDbs) {
        const db = ks.dbs[id];
        this.used += db.main.shrinkIfNeeded(this.resizePolicy);
        this.used += db.expires.shrinkIfNeeded(this.resizePolicy);
      }
      // incrementallyRehash: the first DB (from a persistent cursor) with a table being rehashed gets 1 ms.
      const dbnum = this.cfg.databases;
      for (let j = 0; j < Math.min(16, dbnum); j++) {
        const db = ks.dbs[this.rehashDb];
        if (db.main.rehashing) {
          this.used += db.main.rehashBuckets(CRON_REHASH_BUCKETS);
          break;
        }
        if (db.expires.rehashing) {
          this.used += db.expires.rehashBuckets(CRON_REHASH_BUCKETS);
          break;
        }
        this.rehashDb = (this.rehashDb + 1) % dbnum;
      }
    }
    if (this.cfg.activeExpire) activeExpireCycle(this, CYCLE_FAST);
    // serverCron: save points, AOF rewrite trigger, the child's memory
    this.persistence?.cron();
    if (this.used > this.stats.used_memory_peak) this.stats.used_memory_peak = this.used;
    this.sim.after(this.cronPeriodUs + this.idleTicks() * this.cronPeriodUs, this.cronKind);
  }

  /**
   * The time of the next request (the runner sets it before each): a long stretch without requests
   * (a gap in a trace: hours, or a corrupt 136 years) would otherwise cost one serverCron per tick.
   * Redis runs them all; when the server is quiescent (no key with a TTL left to expire, no table being
   * resized or rehashed, no background eviction, no persistence) every one of those ticks does nothing
   * but decay the expired_stale_perc average, so they are skipped and that decay applied as they would
   * have, up to the last tick before the request. The result is the same as running them; only the time
   * it takes differs.
   */
  nextRequestUs = -1;

  /** How many whole ticks before the next request can be skipped (0 unless the server is quiescent). */
  private idleTicks(): number {
    const period = this.cronPeriodUs;
    const gap = this.nextRequestUs - this.sim.now;
    if (gap < IDLE_SKIP_MIN_TICKS * period || this.ks.volatileKeys > 0 || this.persistence !== null || this.bgEvictionRunning || this.childActive) return 0;
    for (const id of this.activeDbs) if (this.ks.dbs[id].main.rehashing || this.ks.dbs[id].expires.rehashing) return 0;
    // the next tick runs at the last tick time before the request (the same grid of ticks)
    const k = Math.floor(gap / period) - 1;
    if (k <= 0) return 0;
    // each skipped tick's slow expire cycle sampled nothing: stat_expired_stale_perc decays by 0.95
    let v = this.stats.expired_stale_perc;
    for (let i = 0; i < k && v > 0; i++) v = v * 0.95;
    this.stats.expired_stale_perc = v;
    return k;
  }

  /** Called by performEvictions when it stops on its time budget after spending `spentUs`. */
  startBackgroundEviction(spentUs: number): void {
    this.bgEvictionRunning = true;
    this.sim.after(Math.max(1, Math.round(spentUs)), this.bgEvictKind);
  }

  /**
   * evictionTimeProc: a 0 ms time event that calls performEvictions once per event-loop iteration until
   * it no longer reports RUNNING. We run the next slice as soon as the previous one's modelled time has
   * passed.
   */
  private evictionTimeProc(): void {
    this.bgEvictionRunning = false;
    this.nowMs = Math.floor(this.sim.now / US_PER_MS);
    performEvictions(this);
  }
}
