import type { Rng } from "../core/random.ts";
import { SIM_EPOCH_MS } from "../core/time.ts";

/*
 * LFU (evict.c, redis-model.md §3). The 24-bit `lru` field holds [16-bit minutes | 8-bit log counter].
 * Two points where Redis's code and redis.conf's prose disagree, and we follow the code:
 * - decay subtracts 1 per elapsed `lfu-decay-time` period (it does not halve);
 * - the increment probability is 1 / ((counter − LFU_INIT_VAL) · factor + 1), so counters ≤ 5 always grow.
 */

export const LFU_INIT_VAL = 5;
export const LFU_COUNTER_MAX = 255;

/** Minutes since the Unix epoch mod 2^16 at simulated millisecond `nowMs` (LFUGetTimeInMinutes). */
export function lfuTimeInMinutes(nowMs: number): number {
  return Math.floor((SIM_EPOCH_MS + nowMs) / 60_000) & 0xffff;
}

/** The `lru` field of a new object under an LFU policy. */
export function lfuInitial(nowMin: number): number {
  return (nowMin << 8) | LFU_INIT_VAL;
}

/** LFUDecrAndReturn: the counter after decay, without writing it back. `decayTime` 0 = never decay. */
export function lfuDecrAndReturn(lru: number, nowMin: number, decayTime: number): number {
  const ldt = lru >>> 8;
  const counter = lru & 255;
  if (decayTime <= 0) return counter;
  const elapsed = nowMin >= ldt ? nowMin - ldt : 65535 - ldt + nowMin;
  const periods = Math.floor(elapsed / decayTime);
  return periods > counter ? 0 : counter - periods;
}

/** LFULogIncr: a logarithmic increment, saturating at 255. */
export function lfuLogIncr(counter: number, factor: number, rng: Rng): number {
  if (counter === LFU_COUNTER_MAX) return LFU_COUNTER_MAX;
  const r = rng.next();
  const base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
  const p = 1 / (base * factor + 1);
  return r < p ? counter + 1 : counter;
}

/** db.c updateLFU: decay, increment, and restamp the time field (partial periods are lost). */
export function updateLFU(lru: number, nowMin: number, decayTime: number, factor: number, rng: Rng): number {
  const c = lfuLogIncr(lfuDecrAndReturn(lru, nowMin, decayTime), factor, rng);
  return (nowMin << 8) | c;
}
