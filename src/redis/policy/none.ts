import type { ScorePolicy } from "../types.ts";
import { lruAccess, lruCreated, lruOverwritten, lruWarm } from "./lru.ts";

/*
 * No score (noeviction): its candidate set is empty, so performEvictions fails (EVICT_FAIL) and writes are
 * rejected with OOM before any score is asked for. Keys keep LRU stamps (OBJECT IDLETIME works);
 * integers stay shared.
 */

export const noScore: ScorePolicy = {
  lfu: false,
  noSharedIntegers: false,
  readsValueObject: false,
  needsLruList: false,
  needsNextUse: false,
  access: lruAccess,
  created: lruCreated,
  overwritten: lruOverwritten,
  score: () => 0,
  accessed: null,
  added: null,
  deleted: null,
  victim: null,
  // a server that never evicts holds the hottest keys
  warm: (keys, nowMs, s) => lruWarm(keys, nowMs, s, null),
};
