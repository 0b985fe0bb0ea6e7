import type { RedisConfig } from "./config.ts";
import { NO_KEY, type Keyspace } from "./keyspace.ts";
import type { Stats } from "./stats.ts";

/*
 * ============================ activeExpireCycle (expire.c, docs/model.md §6.2) ============================
 *
 * Slow cycle: every cron tick, for each DB, sample up to 20 keys (ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP,
 * scaled by active-expire-effort) of the expires dict in a sequential sweep from a persistent cursor,
 * delete those past their expiry, and repeat on the same DB while more than 10 % of a batch was expired
 * (ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE). The whole call has a time budget: 25 % of a tick
 * (25 000 µs at hz 10), checked every 16 loops.
 * Fast cycle: from beforeSleep, only if the previous cycle stopped on its time budget (the stale-percent
 * gate compares a fraction with a percent, so it never opens), at most every 2 ms, 1000 µs budget.
 *
 * What we simplify:
 * - Like Redis 7.0 we walk the expires dict's buckets in index order from a persistent cursor, taking
 *   every key of each bucket's chain: the keys are chained by a fixed hash of their id (Keyspace.bucketOf)
 *   into as many buckets as the modelled table's larger half has slots. The order matters: a sequential
 *   sweep reaches regions not visited for a whole sweep, where the stale share is higher than on
 *   average, so it keeps looping longer than random sampling would. (Uniform random batches left ~35 %
 *   more expired keys unreclaimed than a real 7.0.15 server under volatile-ttl with 1–3 s TTLs; see
 *   docs/fidelity.md.) During an incremental rehash Redis walks both tables at the same index; we walk
 *   the larger one only.
 * - Commands take no simulated time, so the budget is spent by a modelled cost per key: a sampled key
 *   that is still alive costs EXPIRE_SAMPLE_COST_US, a deleted one EXPIRE_DELETE_COST_US. [measured]
 *   300 000 keys expiring at once were reclaimed with 470 ms of cycle time, ≈ 1.6 µs per key.
 */

export const ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP = 20;
export const ACTIVE_EXPIRE_CYCLE_FAST_DURATION_US = 1000;
export const ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC = 25;
export const ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE = 10;
export const EXPIRE_SAMPLE_COST_US = 0.1;
export const EXPIRE_DELETE_COST_US = 1.6;

export const CYCLE_SLOW = 0;
export const CYCLE_FAST = 1;

/** Per-server state of the expire cycle (the static variables of expire.c). */
export class ExpireState {
  currentDb = 0;
  timelimitExit = false;
  lastFastCycleUs = -Infinity;
}

/** The server as the expire cycle sees it; RedisServer satisfies it. */
export interface ExpireServer {
  readonly expireState: ExpireState;
  readonly cfg: RedisConfig;
  readonly sim: { readonly now: number };
  readonly stats: Stats;
  /** The effective hz (dynamic-hz applied). */
  readonly hz: number;
  readonly ks: Keyspace;
  /** The cached time, simulated ms. */
  readonly nowMs: number;
  /** deleteExpiredKeyAndPropagate: delete and count in expired_keys. */
  deleteExpiredKey(key: number): void;
}

export function activeExpireCycle(s: ExpireServer, type: number): void {
  const st = s.expireState;
  const effort = s.cfg.activeExpireEffort - 1;
  const keysPerLoop = ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP + (ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP / 4) * effort;
  const fastDuration = ACTIVE_EXPIRE_CYCLE_FAST_DURATION_US + (ACTIVE_EXPIRE_CYCLE_FAST_DURATION_US / 4) * effort;
  const slowPerc = ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC + 2 * effort;
  const acceptableStale = ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE - effort;
  const now = s.sim.now;

  if (type === CYCLE_FAST) {
    // stat_expired_stale_perc is a fraction compared with a percent: the gate opens only after a time-limit exit.
    if (!st.timelimitExit && s.stats.expired_stale_perc < acceptableStale) return;
    if (now < st.lastFastCycleUs + fastDuration * 2) return;
    st.lastFastCycleUs = now;
  }

  const dbnum = s.cfg.databases;
  const dbsPerCall = dbnum < 16 || st.timelimitExit ? dbnum : 16;
  const timelimit = type === CYCLE_FAST ? fastDuration : Math.floor((slowPerc * 1_000_000) / s.hz / 100);
  st.timelimitExit = false;

  const ks = s.ks;
  const nowMs = s.nowMs;
  let elapsed = 0;
  let iteration = 0;
  let totalSampled = 0;
  let totalExpired = 0;

  for (let j = 0; j < dbsPerCall && !st.timelimitExit; j++) {
    const db = ks.dbs[st.currentDb % dbnum];
    st.currentDb++;
    let expired = 0;
    let sampled = 0;
    do {
      iteration++; // expire.c counts every pass, including those that stop at once below
      let num = db.volN;
      if (num === 0) {
        db.avgTtl = 0;
        break;
      }
      const slots = db.expires.slots;
      // A table under 1 % full is left alone until cron shrinks it.
      if (slots > 4 && Math.floor((num * 100) / slots) < 1) break;
      expired = 0;
      sampled = 0;
      let ttlSum = 0;
      let ttlSamples = 0;
      if (num > keysPerLoop) num = keysPerLoop;
      const maxBuckets = num * 20;
      let checkedBuckets = 0;
      const tableSlots = Math.max(db.expires.size0, db.expires.size1);
      if (db.expHeads.length !== tableSlots) ks.rebuildExpireBuckets(db, tableSlots);
      const heads = db.expHeads;
      const mask = heads.length - 1;
      const next = ks.expNext, expireAt = ks.expireAt;
      while (sampled < num && checkedBuckets < maxBuckets) {
        let key = heads[db.expiresCursor & mask];
        while (key !== NO_KEY) {
          const after = next[key];
          const when = expireAt[key];
          sampled++;
          if (nowMs > when) {
            s.deleteExpiredKey(key);
            expired++;
            elapsed += EXPIRE_DELETE_COST_US;
          } else {
            ttlSum += when - nowMs;
            ttlSamples++;
            elapsed += EXPIRE_SAMPLE_COST_US;
          }
          key = after;
        }
        db.expiresCursor++;
        checkedBuckets++;
        // a deletion can shrink nothing here (shrinking is cron's), but the table may be rebuilt by an
        // expand on the next add; heads stays valid for this loop
      }
      totalExpired += expired;
      totalSampled += sampled;
      if (ttlSamples > 0) {
        const avg = ttlSum / ttlSamples;
        db.avgTtl = db.avgTtl === 0 ? avg : (db.avgTtl / 50) * 49 + avg / 50;
      }
      if ((iteration & 15) === 0 && elapsed > timelimit) {
        st.timelimitExit = true;
        s.stats.expired_time_cap_reached_count++;
        break;
      }
    } while (sampled === 0 || Math.floor((expired * 100) / sampled) > acceptableStale);
  }

  s.stats.expire_cycle_cpu_us += elapsed;
  const current = totalSampled ? totalExpired / totalSampled : 0;
  s.stats.expired_stale_perc = current * 0.05 + s.stats.expired_stale_perc * 0.95;
}
