import type { ScorePolicy } from "../types.ts";
import { LRU_STAMPED, lruWarm } from "./lru.ts";

/*
 * The TTL score (volatile-ttl): the nearest absolute expiry is evicted first. Redis stores
 * ULLONG_MAX − expire_ms in the pool; only the order matters, so we store −expire_ms. The score reads no
 * value object, so a key sampled from the expires dict is not looked up in the main dict. Keys keep LRU
 * stamps; integers stay shared (no MAXMEMORY_FLAG_NO_SHARED_INTEGERS).
 */

export const ttlScore: ScorePolicy = {
  ...LRU_STAMPED,
  score: (key, _lru, s) => -s.ks.expireAt[key],
  // which keys a warm volatile-ttl server holds depends on the mix of TTL and non-TTL keys: the hottest
  warm: (keys, nowMs, s) => lruWarm(keys, nowMs, s, null),
};
