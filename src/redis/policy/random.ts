import { randomWarmPresence } from "../lru.ts";
import { NO_KEY } from "../keyspace.ts";
import { CAND_ALLKEYS, type EvictServer, type ScorePolicy } from "../types.ts";
import { LRU_STAMPED, lruWarm } from "./lru.ts";

/*
 * Random eviction (allkeys-random, volatile-random): no score and no pool; performEvictions takes one
 * random key per victim (evict.c, the MAXMEMORY_ALLKEYS_RANDOM / VOLATILE_RANDOM branch). Keys keep LRU
 * stamps; integers stay shared.
 */

/**
 * One victim: round-robin over the DBs from a persistent cursor (next_db), a random key of the first DB
 * with a candidate (dictGetRandomKey on its main or expires dict), or NO_KEY when no DB has one.
 */
export function randomVictim(s: EvictServer): number {
  const ks = s.ks;
  const allkeys = s.candidates === CAND_ALLKEYS;
  const active = s.activeDbs;
  const dbnum = s.cfg.databases;
  // Redis tries j = (++next_db) % dbnum over every DB; empty DBs are skipped, so only DBs that hold
  // keys (activeDbs, ascending) can be chosen: scan them cyclically from next_db + 1.
  const start = (s.nextDb + 1) % dbnum;
  let first = -1;
  for (let i = 0; i < active.length; i++) if (active[i] >= start) { first = i; break; }
  if (first < 0) first = 0;
  for (let i = 0; i < active.length; i++) {
    const db = ks.dbs[active[(first + i) % active.length]];
    const n = allkeys ? db.allN : db.volN;
    if (n > 0) {
      s.nextDb = db.id;
      const dict = allkeys ? db.main : db.expires;
      if (dict.rehashIdx >= 0) s.used += dict.rehashStep(); // dictGetRandomKey
      return allkeys ? db.all[2 * Math.floor(s.rngEvict.next() * n)] : db.vol[Math.floor(s.rngEvict.next() * n)];
    }
  }
  // a full unsuccessful loop advances next_db by dbnum: unchanged modulo dbnum
  return NO_KEY;
}

export const randomScore: ScorePolicy = {
  ...LRU_STAMPED,
  victim: randomVictim,
  // allkeys-random's steady state: a present key is evicted at rate 1/T whatever its popularity
  warm: (keys, nowMs, s) => lruWarm(keys, nowMs, s, (i, tS) => randomWarmPresence(keys.rate[i], tS)),
};
