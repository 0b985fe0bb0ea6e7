import { SIM_EPOCH_MS } from "../core/time.ts";

/* Approximated LRU's clock (evict.c getLRUClock / estimateObjectIdleTime, redis-model.md §2). */

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
