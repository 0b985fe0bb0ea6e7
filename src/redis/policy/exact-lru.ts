import { lruStampIdle, lruWarmIdleS, lruWarmPresence } from "../lru.ts";
import type { ScorePolicy } from "../types.ts";
import { lruAccess, lruCreated, lruOverwritten } from "./lru.ts";

/*
 * True least-recently-used (the `exact-lru` reference policy; not Redis): the keyspace keeps every key on
 * a doubly linked list in order of last use (Keyspace.lruPushHead / lruMoveToHead / lruRemove), and the
 * victim is its tail. Every touch moves the key to the head, even while a fork child exists. Keys also
 * keep LRU stamps, and integers are not shared, as under allkeys-lru.
 */

export const exactLruScore: ScorePolicy = {
  lfu: false,
  noSharedIntegers: true,
  readsValueObject: false,
  needsLruList: true,
  needsNextUse: false,
  access: lruAccess,
  created: lruCreated,
  overwritten: lruOverwritten,
  score: () => 0,
  accessed: (key, s) => s.ks.lruMoveToHead(key),
  added: (key, s) => s.ks.lruPushHead(key),
  deleted: (key, s) => s.ks.lruRemove(key),
  victim: (s) => s.ks.lruTail,
  warm(keys, nowMs, s) {
    // allkeys-lru's steady state (Che's approximation), and the list put in order of the drawn idle times
    const loaded: number[] = [];
    const idle: number[] = [];
    return {
      presence: (i, tS) => lruWarmPresence(keys.rate[i], tS),
      stamp(i, key, tS, u) {
        const idleMs = Math.round(lruWarmIdleS(keys.rate[i], tS, u) * 1000);
        loaded.push(key);
        idle.push(idleMs);
        return lruStampIdle(s.lruclock, nowMs, idleMs);
      },
      finish() {
        // the exact LRU list in order of last use: the longest idle at the tail
        const order = loaded.map((_, j) => j).sort((a, b) => idle[b] - idle[a]);
        for (const j of order) s.ks.lruMoveToHead(loaded[j]);
      },
    };
  },
};
