import type { Rng } from "../core/random.ts";
import { SIM_EPOCH_MS } from "../core/time.ts";

/*
 * LFU (evict.c, docs/model.md §3). The 24-bit `lru` field holds [16-bit minutes | 8-bit log counter].
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

/*
 * A warm LFU cache (for prewarm): the counters a key read at a steady rate holds, and which keys the
 * cache keeps. What Redis does, per key: every read decays the counter by the whole `lfu-decay-time`
 * periods since the last read (epoch-aligned minutes; partial periods are lost, LFUDecrAndReturn) and then
 * adds 1 with probability 1 / ((c − 5)·factor + 1) (LFULogIncr); new keys start at 5; eviction takes the
 * lowest decayed counter.
 */

/** Seconds in a minute of the LFU clock. */
const MINUTE_S = 60;

/**
 * Expected decay periods charged per read for a key read at `perMin` reads per minute (Poisson), decay
 * time `decayTime` minutes, the minute boundaries at a uniformly random phase: Σ_k P(U + X ≥ k·d) for the
 * gap X ~ Exp(perMin) and U ~ U(0, 1), = (e^μ − 1) / (μ (e^{μd} − 1)); 1/μ when d = 1.
 */
export function lfuDecayPerRead(perMin: number, decayTime: number): number {
  if (decayTime <= 0) return 0;
  if (!(perMin > 0)) return Infinity;
  if (perMin * decayTime > 700) return 0;
  return Math.expm1(perMin) / (perMin * Math.expm1(perMin * decayTime));
}

/** Reads that take a new key's counter (5) to `c` on average, without decay (Σ (f·j + 1), docs/model.md §3.2); its inverse. */
export function lfuCounterAfterReads(reads: number, factor: number): number {
  if (factor <= 0) return Math.min(LFU_COUNTER_MAX, LFU_INIT_VAL + reads);
  // x + f·x(x − 1)/2 = reads, x = c − 5
  const b = 1 - factor / 2;
  const x = (-b + Math.sqrt(b * b + 2 * factor * reads)) / factor;
  return Math.min(LFU_COUNTER_MAX, LFU_INIT_VAL + Math.max(0, x));
}

/** How long a warm server has been serving its workload, for counters that never stop growing (no decay). */
export const LFU_WARM_HORIZON_S = 3600;

/**
 * The counter a key read at `rate`/s settles at (at least 6: a key read twice since it was stored).
 * With decay, the expected increment per read p(c) = 1/((c − 5)·f + 1) balances the expected decay per
 * read D: c = 5 + (1/D − 1)/f. A counter that would need more reads than an hour of this rate brings
 * (LFU_WARM_HORIZON_S; always so without decay) stops where an hour of reads takes it. Approximation:
 * the balance of means, not the counter's distribution (it wanders ± a step or two around it, which moves
 * no key across the eviction threshold at 5–6 where the popular keys are far above it).
 */
export function lfuSteadyCounter(rate: number, factor: number, decayTime: number): number {
  const byReads = lfuCounterAfterReads(rate * LFU_WARM_HORIZON_S, factor);
  const d = lfuDecayPerRead(rate * MINUTE_S, decayTime);
  let c = byReads;
  if (d > 0) c = d >= 1 ? LFU_INIT_VAL : Math.min(byReads, factor > 0 ? LFU_INIT_VAL + (1 / d - 1) / factor : LFU_COUNTER_MAX);
  return Math.max(LFU_INIT_VAL + 1, Math.min(LFU_COUNTER_MAX, Math.round(c)));
}

/**
 * Where a key of a warm LFU cache is, per key (rate λ/s, decay period boundaries at b = 1/(60·d) per s,
 * treated as a Poisson stream; the cache's probation time T s):
 *   A     absent; a read misses and stores it (→ N)
 *   N     new, counter 5: the next read lifts it to 6 (p = 1 at 5; → S0); evicted among the other 5s
 *         (rate 1/T) or, after a boundary, decayed to 4 below every new key and evicted first (rate b)
 *   S_j   counter c = 5 + m (lfuSteadyCounter), j boundaries since its last read (decayed c − j): a read
 *         takes it back to S0, a boundary to S_{j+1}; S_m (decayed 5) is evicted like N.
 * Stationary (π_A = 1): π_N = λ/(λ + 1/T + b), ρ = b/(λ + b), π_S0 = λ² / (b ρ^(m−1) (1/T + b)),
 * π_Sj = π_S0 ρ^j (j < m), π_Sm = π_S0 ρ^(m−1) b / (λ + 1/T + b). T is the one time at which the present
 * keys fill the memory. Keys with counters far above 5 are then always present; around the threshold the
 * mix of new keys (5) and recently re-read ones (6) is what Redis's LFU keeps. On a 200 000-key Zipf(1.0)
 * workload at 20 000 reads/s this gives a hit ratio of 0.865 against the simulated allkeys-lfu's steady
 * 0.863–0.867, where the hottest keys alone would give 0.890.
 */
export class LfuWarmState {
  readonly b: number;
  readonly decayTime: number;
  constructor(decayTime: number) {
    this.decayTime = decayTime;
    this.b = decayTime > 0 ? 1 / (MINUTE_S * decayTime) : 0;
  }

  /** Probability that a key read at `rate`/s is present, for probation time `tS` s. */
  presence(rate: number, m: number, tS: number): number {
    const on = this.onWeights(rate, m, tS);
    return on.total === Infinity ? 1 : on.total / (1 + on.total);
  }

  private onWeights(rate: number, m: number, tS: number): { n: number; s0: number; rho: number; last: number; total: number } {
    const l = rate, b = this.b, inv = tS === Infinity ? 0 : 1 / tS;
    if (!(l > 0)) return { n: 0, s0: 0, rho: 0, last: 0, total: 0 };
    const out = l + inv + b;
    const n = l / out;
    const rho = b / (l + b);
    const rhoM1 = Math.pow(rho, m - 1);
    const s0 = (l * l) / (b * rhoM1 * (inv + b));
    const last = rhoM1 * (b / out);
    // 1 + Σ_{j=1}^{m−1} ρ^j + ρ^{m−1}·b/out, with Σ ρ^j = (b/λ)(1 − ρ^{m−1})
    const mass = 1 + (b / l) * (1 - rhoM1) + last;
    const total = s0 === Infinity || !Number.isFinite(s0 * mass) ? Infinity : n + s0 * mass;
    return { n, s0, rho, last, total };
  }

  /**
   * The `lru` field of a present key, its state drawn from the stationary mix given presence (`u`
   * uniform in [0, 1)): counter and last-read minute.
   */
  field(rate: number, c: number, tS: number, nowMin: number, u: number): number {
    const m = c - LFU_INIT_VAL;
    const w = this.onWeights(rate, m, tS);
    if (w.total !== Infinity) {
      let x = u * w.total;
      if (x < w.n) return lfuInitial(nowMin);
      x = (x - w.n) / w.s0;
      let j = 0, wj = 1;
      while (j < m && x >= wj) {
        x -= wj;
        j++;
        wj = j < m ? wj * w.rho : w.last;
      }
      return (((nowMin - j * this.decayTime) & 0xffff) << 8) | c;
    }
    return (nowMin << 8) | c;
  }
}
