import type { Rng } from "../core/random.ts";
import { NO_KEY } from "./keyspace.ts";
import { EVPOOL_SIZE } from "./pool.ts";
import { CAND_ALLKEYS, CAND_NONE, type EvictServer } from "./types.ts";

/*
 * ============================= performEvictions (evict.c, docs/model.md §4) =============================
 *
 * Redis calls performEvictions before every command while `maxmemory` ≠ 0. It measures the overshoot
 * once (`to_free = used − maxmemory`), then evicts keys until the bytes freed by their deletes cover it,
 * checking its time budget every 16 keys. Past the budget (maxmemory-eviction-tenacity, 500 µs by
 * default) it starts a background eviction time event and lets the command run (EVICT_RUNNING). With
 * no candidate at all (noeviction, or volatile-* with no TTL keys) it fails (EVICT_FAIL) and write
 * commands are rejected with OOM.
 *
 * Our model's commands take no simulated time, so the budget is spent by a modelled cost per evicted
 * key (EVICTION_KEY_COST_US). It matters only for bulk deficits (a large write, a lower maxmemory):
 * in steady state one command's overshoot is one or two keys.
 */

export const EVICT_OK = 0;
export const EVICT_RUNNING = 1;
export const EVICT_FAIL = 2;

/**
 * Modelled wall time to evict one key, µs. [measured, docs/model.md §4.2] 54 789 evictions of small
 * strings took 244 ms of eviction-exceeded time on a 7.0.15 server: ≈ 4.5 µs per key including the
 * sampling, pool work, delete and propagation. We use 4 µs.
 */
export const EVICTION_KEY_COST_US = 4;

/** evict.c evictionTimeLimitUs: the per-call eviction budget in µs for a tenacity 0..100. */
export function evictionTimeLimitUs(tenacity: number): number {
  if (tenacity <= 10) return 50 * tenacity;
  if (tenacity < 100) return Math.floor(500 * Math.pow(1.15, tenacity - 10));
  return Infinity;
}

/*
 * The server as performEvictions sees it (EvictServer, types.ts): its memory, the policy's candidate set
 * and score behaviour (policies.ts, policy/*.ts), the pool, and deleteKey. RedisServer satisfies it.
 */

/**
 * evictionPoolPopulate for one DB: sample `maxmemory-samples` keys from its candidate dict and insert
 * each into the pool with its score. Redis samples with dictGetSomeKeys, a run of adjacent buckets from
 * a random start; we draw uniformly from the dense array (same expectation: bucket placement is random
 * with respect to recency and frequency, docs/model.md §5.1 and §13).
 */
function evictionPoolPopulate(s: EvictServer, dbIndex: number): void {
  const ks = s.ks;
  const db = ks.dbs[dbIndex];
  const allkeys = s.candidates === CAND_ALLKEYS;
  const n = allkeys ? db.allN : db.volN;
  const dict = allkeys ? db.main : db.expires;
  const count = s.cfg.maxmemorySamples < n ? s.cfg.maxmemorySamples : n;
  // dictGetSomeKeys performs up to `count` rehash steps first.
  for (let j = 0; j < count && dict.rehashIdx >= 0; j++) s.used += dict.rehashStep();
  const rng = s.rngEvict;
  const pool = s.pool;
  const p = s.scorePolicy;
  const score = p.score;
  if (allkeys && db.expires.used === 0) {
    // The hot path, for a DB without TTL keys (bucket order is then random with respect to recency
    // and frequency, so uniform draws have the same expectation as runs of adjacent buckets): uniform
    // draws from the dense [key, lru] pairs, scored in place. (The allkeys-* pool policies are LRU and
    // LFU, whose scores read only the lru field.)
    const all = db.all;
    for (let j = 0; j < count; j++) {
      const i = 2 * Math.floor(rng.next() * n);
      pool.insert(score(all[i], all[i + 1], s), all[i], dbIndex);
    }
    return;
  }
  const sample = s.sampleBuf;
  let got: number;
  if (allkeys) {
    // Keys with TTLs make bucket order matter: the expire cycle leaves expired keys clustered in the
    // buckets it has not swept yet (same hash in both dicts), and runs of adjacent buckets find them
    // as Redis does. Measured against 7.0.15 under allkeys-lru with 1–3 s TTLs: uniform draws put
    // 16 % too many keys in expired_keys and 5 % too few in evicted_keys.
    const slots = Math.max(db.main.size0, db.main.size1);
    if (db.mainHeads.length !== slots) ks.rebuildMainBuckets(db, slots);
    got = dictGetSomeKeys(rng, db.mainHeads, ks.mainNext, count, sample);
  } else {
    const slots = Math.max(db.expires.size0, db.expires.size1);
    if (db.expHeads.length !== slots) ks.rebuildExpireBuckets(db, slots);
    got = dictGetSomeKeys(rng, db.expHeads, ks.expNext, count, sample);
  }
  const readsObject = p.readsValueObject;
  for (let j = 0; j < got; j++) {
    const key = sample[j];
    let lru = 0;
    if (readsObject) {
      // volatile-lru/lfu fetch the value object from the main dict by name (volatile-ttl does not).
      if (!allkeys && db.main.rehashIdx >= 0) s.used += db.main.rehashStep();
      lru = ks.lruOf(key);
    }
    pool.insert(score(key, lru, s), key, dbIndex);
  }
}

/**
 * dict.c dictGetSomeKeys on a dict modelled bucket by bucket (chains `heads`/`next`): from a random
 * bucket, take every key of each non-empty bucket in index order (reservoir sampling over the chain
 * that completes the count, as 7.0.12+ does), jumping to a new random bucket after a run of empty ones;
 * at most 10 × count steps. Expired-but-unreclaimed keys are clustered in the stretch of buckets the
 * active expire cycle has not reached yet, and a run of adjacent buckets samples that clustering as
 * Redis does.
 */
function dictGetSomeKeys(rng: Rng, heads: Int32Array, next: Int32Array, count: number, out: Int32Array): number {
  const mask = heads.length - 1;
  let i = rng.u32() & mask;
  let stored = 0;
  let emptyLen = 0;
  let steps = count * 10;
  while (stored < count && steps-- > 0) {
    let key = heads[i];
    if (key === NO_KEY) {
      emptyLen++;
      if (emptyLen >= 5 && emptyLen > count) {
        i = rng.u32() & mask;
        emptyLen = 0;
      }
    } else {
      emptyLen = 0;
      while (key !== NO_KEY) {
        if (stored < count) out[stored] = key;
        else {
          const r = Math.floor(rng.next() * (stored + 1));
          if (r < count) out[r] = key;
        }
        stored++;
        key = next[key];
      }
      if (stored >= count) break;
    }
    i = (i + 1) & mask;
  }
  return stored > count ? count : stored;
}

/** One victim from the pool policies, or NO_KEY when no DB has a candidate. */
function pickFromPool(s: EvictServer): number {
  const ks = s.ks;
  const pool = s.pool;
  const allkeys = s.candidates === CAND_ALLKEYS;
  for (;;) {
    let candidates = 0;
    const active = s.activeDbs;
    for (let i = 0; i < active.length; i++) {
      const db = ks.dbs[active[i]];
      const n = allkeys ? db.allN : db.volN;
      if (n > 0) {
        candidates += n;
        evictionPoolPopulate(s, db.id);
      }
    }
    if (candidates === 0) return NO_KEY;
    for (let k = EVPOOL_SIZE - 1; k >= 0; k--) {
      const key = pool.key[k];
      if (key === NO_KEY) continue;
      const dbId = pool.db[k];
      pool.key[k] = NO_KEY;
      pool.score[k] = 0;
      const db = ks.dbs[dbId];
      const dict = allkeys ? db.main : db.expires;
      if (dict.rehashIdx >= 0) s.used += dict.rehashStep(); // dictFind
      const alive = allkeys ? ks.exists(key) && ks.dbOf(key) === dbId : ks.hasTtl(key);
      if (alive) return key;
      // a ghost: deleted, evicted or without a TTL since it was sampled; keep walking left
    }
  }
}

export function performEvictions(s: EvictServer): number {
  const counted = s.used; // minus mem_not_counted_for_evict (AOF buffer, replica backlog): none modelled yet
  if (counted <= s.maxmemory) {
    if (s.exceededSince >= 0) {
      s.stats.total_eviction_exceeded_us += s.sim.now - s.exceededSince;
      s.exceededSince = -1;
    }
    return EVICT_OK;
  }
  let result: number;
  if (s.candidates === CAND_NONE) {
    result = EVICT_FAIL;
  } else {
    const toFree = counted - s.maxmemory;
    const timeLimit = evictionTimeLimitUs(s.cfg.maxmemoryEvictionTenacity);
    // the random and reference policies choose their victim themselves; the others fill the pool
    const victim = s.scorePolicy.victim;
    let freed = 0;
    let n = 0;
    result = EVICT_OK;
    while (freed < toFree) {
      const key = victim !== null ? victim(s) : pickFromPool(s);
      if (key === NO_KEY) {
        result = EVICT_FAIL;
        break;
      }
      const before = s.used;
      s.deleteKey(key);
      freed += before - s.used;
      s.stats.evicted_keys++;
      n++;
      if ((n & 15) === 0 && n * EVICTION_KEY_COST_US > timeLimit) {
        if (!s.bgEvictionRunning) s.startBackgroundEviction(n * EVICTION_KEY_COST_US);
        s.stats.eviction_time_limit_hits++;
        break;
      }
    }
    if (result !== EVICT_FAIL) result = s.bgEvictionRunning ? EVICT_RUNNING : EVICT_OK;
  }
  if (result === EVICT_OK) {
    if (s.exceededSince >= 0) {
      s.stats.total_eviction_exceeded_us += s.sim.now - s.exceededSince;
      s.exceededSince = -1;
    }
  } else if (s.exceededSince < 0) {
    s.exceededSince = s.sim.now;
  }
  return result;
}
