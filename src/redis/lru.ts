import { SIM_EPOCH_MS } from "../core/time.ts";

/* Approximated LRU's clock (evict.c getLRUClock / estimateObjectIdleTime, docs/model.md §2). */

export const LRU_BITS = 24;
export const LRU_CLOCK_MAX = (1 << LRU_BITS) - 1; // 16 777 215
export const LRU_CLOCK_RESOLUTION_MS = 1000;

/** The LRU clock at simulated millisecond `nowMs`: Unix seconds mod 2^24. Redis refreshes it only in cron. */
export function lruClockAt(nowMs: number): number {
  return Math.floor((SIM_EPOCH_MS + nowMs) / LRU_CLOCK_RESOLUTION_MS) & LRU_CLOCK_MAX;
}

/**
 * Idle time in ms that Redis estimates for an object stamped `lru` when the clock reads `clock`: always a
 * multiple of 1000 ms. On wrap-around Redis adds LRU_CLOCK_MAX rather than 2^24 (one second short); we
 * keep that quirk.
 */
export function estimateObjectIdleTime(clock: number, lru: number): number {
  return clock >= lru ? (clock - lru) * LRU_CLOCK_RESOLUTION_MS : (clock + (LRU_CLOCK_MAX - lru)) * LRU_CLOCK_RESOLUTION_MS;
}

/*
 * A warm LRU cache (for prewarm): which keys it holds and how long ago each was used.
 *
 * Che's approximation (H. Che, Y. Tung, Z. Wang, "Hierarchical Web caching systems: modeling, design and
 * experimental results", IEEE JSAC 20(7), 2002; C. Fricker, P. Robert, J. Roberts, ITC 2012, for why it
 * is accurate): under independent requests a key read at λ per second is in an LRU cache iff it was read
 * within the cache's characteristic time T, with probability 1 − e^(−λT); T is the one time at which the
 * expected bytes of the present keys fill the memory. Given that it is present, the time since its last
 * read is exponential with rate λ truncated at T: hot keys look recently used, the least popular look
 * oldest (in distribution: the draw is random, as the real idle times of a warm server are). Redis's
 * sampled LRU with its eviction pool sits within a few tenths of a point of true LRU's hit ratio
 * (README, policy-comparison.yaml), and on a 200 000-key Zipf(1.0) workload Che's 0.844 matches the
 * simulated allkeys-lru's steady 0.842.
 */

/** Probability that a key read at `rate`/s is in a warm LRU cache of characteristic time `tS` seconds. */
export function lruWarmPresence(rate: number, tS: number): number {
  if (tS === Infinity) return 1;
  return -Math.expm1(-rate * tS);
}

/**
 * Random eviction (allkeys-random) under independent requests: a present key is evicted at rate 1/T
 * whatever its popularity, so it is present with probability λT / (1 + λT) (the same fixed point as
 * Che's, for RANDOM and FIFO caches; Fricker et al. 2012).
 */
export function randomWarmPresence(rate: number, tS: number): number {
  if (tS === Infinity) return 1;
  const x = rate * tS;
  return x / (1 + x);
}

/**
 * Seconds since the last read of a key that a warm LRU cache holds: exponential with rate `rate`
 * truncated at `tS` (∞: not truncated), drawn from `u` uniform in [0, 1).
 */
export function lruWarmIdleS(rate: number, tS: number, u: number): number {
  if (!(rate > 0)) return tS === Infinity ? 0 : tS;
  const m = tS === Infinity ? 1 : -Math.expm1(-rate * tS);
  return -Math.log1p(-u * m) / rate;
}

/**
 * The `lru` field of a key last used `idleMs` before simulated millisecond `nowMs`, when the cron-cached
 * clock reads `clock`: Redis would show an idle time of the whole seconds the clock ticked since then
 * (never a stamp ahead of the cached clock).
 */
export function lruStampIdle(clock: number, nowMs: number, idleMs: number): number {
  const sec = (ms: number) => Math.floor((SIM_EPOCH_MS + ms) / LRU_CLOCK_RESOLUTION_MS);
  const ticks = Math.max(0, sec(nowMs) - sec(nowMs - idleMs));
  return (clock - Math.min(ticks, LRU_CLOCK_MAX - 1) + LRU_CLOCK_MAX + 1) & LRU_CLOCK_MAX;
}
