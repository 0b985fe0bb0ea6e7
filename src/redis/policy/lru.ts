import { estimateObjectIdleTime, lruStampIdle, lruWarmIdleS, lruWarmPresence } from "../lru.ts";
import type { PolicyServer, ScorePolicy, WarmKeys, WarmStamps } from "../types.ts";

/*
 * The LRU score (allkeys-lru, volatile-lru): the idle time estimated from the key's 24-bit stamp of the
 * 1 s LRU clock (evict.c estimateObjectIdleTime), the longest idle evicted first.
 *
 * Under every policy but the LFU ones the `lru` field is such a stamp (server.h: LRU clock unless
 * MAXMEMORY_FLAG_LFU): a touch, a new object and an overwrite's new object all take the cron-cached clock
 * (db.c lookupKey, object.c createObject). The other policies reuse these functions.
 */

/** lookupKey's touch under an LRU-stamped policy: the cached clock. */
export function lruAccess(_lru: number, s: PolicyServer): number {
  return s.lruclock;
}

/** createObject under an LRU-stamped policy: the cached clock. */
export function lruCreated(s: PolicyServer): number {
  return s.lruclock;
}

/** dbOverwrite under an LRU-stamped policy: the new value object carries its creation stamp. */
export function lruOverwritten(_lru: number, s: PolicyServer): number {
  return s.lruclock;
}

/**
 * A prewarm's stamps for LRU-stamped keys: the idle time a warm LRU cache would show (lru.ts lruWarmIdleS,
 * Che's approximation), as a stamp of the clock; `presence` as the policy's steady state has it.
 */
export function lruWarm(keys: WarmKeys, nowMs: number, s: PolicyServer, presence: WarmStamps["presence"]): WarmStamps {
  return {
    presence,
    stamp: (i, _key, tS, u) => lruStampIdle(s.lruclock, nowMs, Math.round(lruWarmIdleS(keys.rate[i], tS, u) * 1000)),
    finish: () => {},
  };
}

export const lruScore: ScorePolicy = {
  lfu: false,
  noSharedIntegers: true,
  readsValueObject: true,
  needsLruList: false,
  needsNextUse: false,
  access: lruAccess,
  created: lruCreated,
  overwritten: lruOverwritten,
  score: (_key, lru, s) => estimateObjectIdleTime(s.lruclock, lru),
  accessed: null,
  added: null,
  deleted: null,
  victim: null,
  // allkeys-lru's steady state: Che's approximation
  warm: (keys, nowMs, s) => lruWarm(keys, nowMs, s, (i, tS) => lruWarmPresence(keys.rate[i], tS)),
};
