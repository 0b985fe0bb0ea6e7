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

/**
 * What every policy but LFU does with a key's lru field: the LRU stamp on access, creation and overwrite
 * (OBJECT IDLETIME works under every non-LFU policy), no pool hooks, no victim of its own. A policy file
 * spreads it and sets what differs (its score, warm stamps, flags); spreading keeps the property order,
 * so every policy object has the same shape for the server's call sites.
 */
export const LRU_STAMPED = {
  lfu: false,
  noSharedIntegers: false,
  readsValueObject: false,
  needsLruList: false,
  needsNextUse: false,
  access: lruAccess,
  created: lruCreated,
  overwritten: lruOverwritten,
  score: (): number => 0,
  accessed: null,
  added: null,
  deleted: null,
  victim: null,
} as const satisfies Omit<ScorePolicy, "warm">;

export const lruScore: ScorePolicy = {
  ...LRU_STAMPED,
  noSharedIntegers: true,
  readsValueObject: true,
  score: (_key, lru, s) => estimateObjectIdleTime(s.lruclock, lru),
  // allkeys-lru's steady state: Che's approximation
  warm: (keys, nowMs, s) => lruWarm(keys, nowMs, s, (i, tS) => lruWarmPresence(keys.rate[i], tS)),
};
