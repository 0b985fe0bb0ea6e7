import type { ScorePolicy } from "../types.ts";
import { LRU_STAMPED, lruWarm } from "./lru.ts";

/*
 * No score (noeviction): its candidate set is empty, so performEvictions fails (EVICT_FAIL) and writes are
 * rejected with OOM before any score is asked for. Keys keep LRU stamps (OBJECT IDLETIME works);
 * integers stay shared.
 */

export const noScore: ScorePolicy = {
  ...LRU_STAMPED,
  // a server that never evicts holds the hottest keys
  warm: (keys, nowMs, s) => lruWarm(keys, nowMs, s, null),
};
