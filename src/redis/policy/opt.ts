import type { ScorePolicy } from "../types.ts";
import { lruAccess, lruCreated, lruOverwritten, lruWarm } from "./lru.ts";

/*
 * Belady's optimal replacement (the `opt` reference policy; not Redis): the victim is the key whose next
 * request is farthest in the future (opt.ts OptIndex, RedisServer.opt). Every touch and every new key
 * records the next request index of the request being executed (RedisServer.nextAccess, set by the
 * driver), even while a fork child exists. Keys also keep LRU stamps, and integers are not shared.
 */

export const optScore: ScorePolicy = {
  lfu: false,
  noSharedIntegers: true,
  readsValueObject: false,
  needsLruList: false,
  needsNextUse: true,
  access: lruAccess,
  created: lruCreated,
  overwritten: lruOverwritten,
  score: () => 0,
  accessed: (key, s) => s.opt!.record(key, s.nextAccess),
  added: (key, s) => s.opt!.record(key, s.nextAccess),
  deleted: null,
  victim: (s) => s.opt!.victim(s.ks),
  // a warm server that never evicts a key it will need again soon: the hottest
  warm: (keys, nowMs, s) => lruWarm(keys, nowMs, s, null),
};
