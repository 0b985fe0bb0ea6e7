import { LFU_INIT_VAL, LfuWarmState, lfuDecrAndReturn, lfuInitial, lfuLogIncr, lfuSteadyCounter, lfuTimeInMinutes } from "../lfu.ts";
import type { ScorePolicy } from "../types.ts";

/*
 * The LFU score (allkeys-lfu, volatile-lfu): the `lru` field holds [16-bit minutes | 8-bit log counter]
 * (MAXMEMORY_FLAG_LFU). A touch decays the counter by the whole lfu-decay-time periods since its minute
 * and adds a logarithmic increment (db.c updateLFU); a new object starts at LFU_INIT_VAL (createObject);
 * an overwrite keeps the old object's field, so the frequency survives (dbOverwrite). The pool's score is
 * 255 − the decayed counter (evict.c evictionPoolPopulate: the lowest counter evicted first).
 */

export const lfuScore: ScorePolicy = {
  lfu: true,
  noSharedIntegers: true,
  readsValueObject: true,
  needsLruList: false,
  needsNextUse: false,
  access(lru, s) {
    // db.c updateLFU (lfu.ts), written out here: one call level less on the path of every read
    const nowMin = lfuTimeInMinutes(s.nowMs);
    return (nowMin << 8) | lfuLogIncr(lfuDecrAndReturn(lru, nowMin, s.cfg.lfuDecayTime), s.cfg.lfuLogFactor, s.rngLfu);
  },
  created: (s) => lfuInitial(lfuTimeInMinutes(s.nowMs)),
  overwritten: (lru) => lru,
  score: (_key, lru, s) => 255 - lfuDecrAndReturn(lru, lfuTimeInMinutes(s.nowMs), s.cfg.lfuDecayTime),
  accessed: null,
  added: null,
  deleted: null,
  victim: null,
  warm(keys, nowMs, s) {
    // each key's steady counter, then (with decay) the counter chain of lfu.ts for presence and state;
    // without decay counters only grow and a warm server holds the hottest keys
    const n = keys.key.length;
    const { lfuDecayTime, lfuLogFactor } = s.cfg;
    const state = new LfuWarmState(lfuDecayTime);
    const counter = new Uint8Array(n);
    for (let i = 0; i < n; i++) counter[i] = lfuSteadyCounter(keys.rate[i], lfuLogFactor, lfuDecayTime);
    const nowMin = lfuTimeInMinutes(nowMs);
    return {
      presence: lfuDecayTime > 0 ? (i, tS) => state.presence(keys.rate[i], counter[i] - LFU_INIT_VAL, tS) : null,
      stamp: (i, _key, tS, u) => state.field(keys.rate[i], counter[i], tS, nowMin, u),
      finish: () => {},
    };
  },
};
