/*
 * Steady state and confidence intervals from a run's per-interval series: the figures a capacity
 * planner signs are the server's behaviour once it is warm, not a whole-run average that includes the
 * cold start, and they come with an interval that says how much of them is noise.
 *
 * Warm-up: MSER-5 (White 1997; White, Cobb & Spratt 2000, "A comparison of five steady-state truncation
 * heuristics for simulation"), the standard truncation rule for simulation output. The intervals are
 * grouped in batches of 5; for each candidate truncation d (in batches, over the first half) the
 * statistic is the variance of the batch means kept, divided by how many are kept,
 *   MSER(d) = Σ_{j>d} (Z_j − Z̄_d)² / (m − d)²,
 * and the truncation is the d that minimises it. Cutting the cold start lowers the numerator more than
 * it shrinks the denominator; cutting steady data does not. A minimum in the last tenth of the searched
 * half means the series are still moving at the end: there is no steady state in the run, and that is
 * reported instead of a figure. The rule is applied to each headline series (hit ratio, evictions/s,
 * expirations/s, OOM rejections/s) and the latest truncation is taken. used_memory is judged by level
 * instead: at maxmemory it moves by a few hundred bytes as keys come and go, noise MSER would read as
 * structure, so it is settled once it stays within USED_TOLERANCE of its late level (a cache still
 * filling, or a leak, is not).
 *
 * Confidence intervals: batch means (Law & Kelton, ch. 9). The steady part is cut into BATCHES batches
 * of whole intervals; each batch gives one estimate (a ratio of sums for the hit ratio, a count over
 * its time span for rates); the half-width is t(0.975, k−1) × sd / √k. Batches of a few intervals are
 * nearly independent when the interval is long against the cache's memory of the past; with too few
 * steady intervals (< MIN_CI_INTERVALS) no interval is given.
 */

import { grownInto } from "../core/arrays.ts";

/** Intervals per MSER batch (MSER-5). */
export const MSER_BATCH = 5;
/** Fewest intervals on which a warm-up can be judged (10 MSER batches). */
export const MIN_MSER_INTERVALS = 10 * MSER_BATCH;
/** Batches of the batch-means confidence interval. */
export const BATCHES = 20;
/** used_memory is level once it stays within this share of its late level (1 %). */
export const USED_TOLERANCE = 0.01;
/** Fewest steady intervals for a confidence interval. */
export const MIN_CI_INTERVALS = 10;

/** The per-interval data the analysis reads; counters are cumulative, as in timeseries.csv. */
export interface Series {
  /** end of each interval (s) */
  t: ArrayLike<number>;
  hits: ArrayLike<number>;
  misses: ArrayLike<number>;
  evicted: ArrayLike<number>;
  expired: ArrayLike<number>;
  oom: ArrayLike<number>;
  used: ArrayLike<number>;
  /** with latency modelled: per-interval p50 and p99 (ms; NaN when nothing finished) and completions */
  p50?: ArrayLike<number>;
  p99?: ArrayLike<number>;
  completed?: ArrayLike<number>;
}

export interface Estimate {
  value: number;
  /** 95 % half-width (NaN when there are too few steady intervals) */
  ci95: number;
}

export interface SteadyState {
  /** Whether a steady state was found within the run. */
  reached: boolean;
  /** Why not (too short to judge, or still changing at the end). */
  reason: string;
  /** End of the warm-up (s from the start); NaN when not reached. */
  warmupS: number;
  /** How the warm-up was set: "mser-5" or "fixed". */
  method: string;
  hitRatio: Estimate;
  evictedPerS: Estimate;
  expiredPerS: Estimate;
  oomPerS: Estimate;
  p50Ms?: Estimate;
  p99Ms?: Estimate;
}

const NONE: Estimate = { value: NaN, ci95: NaN };

/** Two-sided 95 % Student t quantiles for 1 … 30 degrees of freedom; 1.96 beyond. */
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
export function t975(df: number): number {
  if (df < 1) return NaN;
  return df <= 30 ? T975[df - 1] : df <= 60 ? 2.042 - ((df - 30) / 30) * (2.042 - 2.0) : df <= 120 ? 2.0 - ((df - 60) / 60) * (2.0 - 1.98) : 1.96;
}

/** Mean and 95 % half-width of independent estimates (replications, or batch means). */
export function meanCi(xs: readonly number[]): Estimate {
  const v = xs.filter((x) => Number.isFinite(x));
  const k = v.length;
  if (k === 0) return NONE;
  const mean = v.reduce((a, b) => a + b, 0) / k;
  if (k < 2) return { value: mean, ci95: NaN };
  const sd = Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / (k - 1));
  return { value: mean, ci95: (t975(k - 1) * sd) / Math.sqrt(k) };
}

/**
 * MSER-5 on one per-interval series: the truncation point in intervals and whether the minimum fell
 * inside the searched range (false: the series is still changing at the end of the run).
 */
export function mser5(y: readonly number[], tolerance = 0): { cut: number; settled: boolean } {
  const m = Math.floor(y.length / MSER_BATCH);
  if (m < 2) return { cut: 0, settled: false };
  const z: number[] = [];
  for (let j = 0; j < m; j++) {
    let s = 0, c = 0;
    for (let i = j * MSER_BATCH; i < (j + 1) * MSER_BATCH; i++)
      if (Number.isFinite(y[i])) {
        s += y[i];
        c++;
      }
    z.push(c > 0 ? s / c : NaN);
  }
  // fill gaps (intervals without reads) with the previous batch so that they weigh nothing
  for (let j = 0; j < m; j++) if (!Number.isFinite(z[j])) z[j] = j > 0 ? z[j - 1] : NaN;
  const first = z.findIndex((x) => Number.isFinite(x));
  if (first < 0) return { cut: 0, settled: true };
  for (let j = 0; j < first; j++) z[j] = z[first];
  if (tolerance > 0) {
    // a level series (used_memory at maxmemory moves by a few hundred bytes as keys come and go): settled
    // once every later batch stays within `tolerance` of the level of the run's second half
    const half2 = z.slice(Math.floor(m / 2));
    const level = half2.reduce((a, b) => a + b, 0) / half2.length;
    const band = tolerance * Math.abs(level);
    if (half2.every((x) => Math.abs(x - level) <= band)) {
      let j = m;
      while (j > 0 && Math.abs(z[j - 1] - level) <= band) j--;
      return { cut: j * MSER_BATCH, settled: true };
    }
  }
  // suffix sums for O(m) evaluation
  const sum = new Float64Array(m + 1), sq = new Float64Array(m + 1);
  for (let j = m - 1; j >= 0; j--) {
    sum[j] = sum[j + 1] + z[j];
    sq[j] = sq[j + 1] + z[j] * z[j];
  }
  const half = Math.floor(m / 2);
  const argmin = (upTo: number) => {
    let best = 0, bestV = Infinity;
    for (let d = 0; d <= upTo; d++) {
      const n = m - d;
      const mean = sum[d] / n;
      const v = Math.max(0, sq[d] - n * mean * mean) / (n * n);
      // a series that does not vary at all is settled from the start
      if (bestV === Infinity || v < bestV * (1 - 1e-12)) {
        bestV = v;
        best = d;
      }
    }
    return { best, bestV };
  };
  const { best, bestV } = argmin(half);
  if (bestV === 0 || best < half * 0.9) return { cut: best * MSER_BATCH, settled: true };
  // A minimum in the last tenth of the searched half: the series may still be moving at the end, or
  // noise put it there (with a dozen batches it can). A real trend shows as a difference between the
  // two quarters of the run's second half beyond three standard errors (Welch); noise rarely does, and
  // then the minimum before the boundary is taken.
  const q = z.slice(half);
  const a = q.slice(0, Math.floor(q.length / 2)), b = q.slice(Math.floor(q.length / 2));
  const mv = (x: number[]) => {
    const mean = x.reduce((p, c) => p + c, 0) / x.length;
    return { mean, v: x.length > 1 ? x.reduce((p, c) => p + (c - mean) ** 2, 0) / (x.length - 1) : 0 };
  };
  const A = mv(a), B = mv(b);
  const se = Math.sqrt(A.v / a.length + B.v / b.length);
  if (Math.abs(B.mean - A.mean) > 3 * se) return { cut: best * MSER_BATCH, settled: false };
  return { cut: argmin(Math.max(0, Math.ceil(half * 0.9) - 1)).best * MSER_BATCH, settled: true };
}

/** Per-interval differences of a cumulative counter (the first interval from zero). */
function deltas(c: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < c.length; i++) out.push(c[i] - (i > 0 ? c[i - 1] : 0));
  return out;
}

/**
 * The steady state of a run: warm-up (MSER-5, or `warmupS` when given), steady figures, and their 95 %
 * intervals by batch means.
 */
export function steadyState(s: Series, warmupS?: number): SteadyState {
  const n = s.t.length;
  const t = Array.from(s.t);
  const dh = deltas(s.hits), dm = deltas(s.misses), de = deltas(s.evicted), dx = deltas(s.expired), dn = deltas(s.oom);
  const dt = t.map((x, i) => x - (i > 0 ? t[i - 1] : 0));
  const perS = (d: number[]) => d.map((x, i) => (dt[i] > 0 ? x / dt[i] : NaN));
  const empty = (reached: boolean, reason: string, warm: number, method: string): SteadyState => ({
    reached,
    reason,
    warmupS: warm,
    method,
    hitRatio: NONE,
    evictedPerS: NONE,
    expiredPerS: NONE,
    oomPerS: NONE,
    ...(s.p50 ? { p50Ms: NONE, p99Ms: NONE } : {}),
  });
  let cut: number;
  let method: string;
  if (warmupS !== undefined) {
    method = "fixed";
    cut = t.findIndex((x) => x > warmupS + 1e-9);
    if (cut < 0) return empty(false, `the warm-up (${warmupS} s) is the whole run`, warmupS, method);
  } else {
    method = "mser-5";
    if (n < MIN_MSER_INTERVALS)
      return empty(false, `the run is too short to judge: ${n} intervals (at least ${MIN_MSER_INTERVALS} needed: lengthen duration or shorten output.interval)`, NaN, method);
    const hr = dh.map((h, i) => (h + dm[i] > 0 ? h / (h + dm[i]) : NaN));
    const used = Array.from(s.used);
    const series: [string, number[], number][] = [
      ["hit ratio", hr, 0],
      ["evictions", perS(de), 0],
      ["expirations", perS(dx), 0],
      ["OOM rejections", perS(dn), 0],
      ["used_memory", used, USED_TOLERANCE],
    ];
    cut = 0;
    const moving: string[] = [];
    for (const [name, y, tol] of series) {
      const r = mser5(y, tol);
      if (!r.settled) moving.push(name);
      cut = Math.max(cut, r.cut);
    }
    if (moving.length > 0)
      return empty(false, `${moving.join(", ")} still changing at the end of the run (a longer run shows whether it settles)`, NaN, method);
  }
  const start = cut;
  const warm = start > 0 ? t[start - 1] : 0;
  const steadyN = n - start;
  const ratio = (i0: number, i1: number) => {
    let h = 0, m = 0;
    for (let i = i0; i < i1; i++) {
      h += dh[i];
      m += dm[i];
    }
    return h + m > 0 ? h / (h + m) : NaN;
  };
  const rate = (d: number[], i0: number, i1: number) => {
    let c = 0, span = 0;
    for (let i = i0; i < i1; i++) {
      c += d[i];
      span += dt[i];
    }
    return span > 0 ? c / span : NaN;
  };
  const wmedian = (p: ArrayLike<number>, i0: number, i1: number) => {
    // the completion-weighted median of the intervals' percentiles: an approximation of the steady
    // part's percentile (exact per interval; the intervals' histograms are not kept)
    const xs: [number, number][] = [];
    for (let i = i0; i < i1; i++) if (Number.isFinite(p[i]) && (s.completed?.[i] ?? 1) > 0) xs.push([p[i], s.completed?.[i] ?? 1]);
    if (xs.length === 0) return NaN;
    xs.sort((a, b) => a[0] - b[0]);
    const total = xs.reduce((a, x) => a + x[1], 0);
    let acc = 0;
    for (const [v, w] of xs) if ((acc += w) >= total / 2) return v;
    return xs[xs.length - 1][0];
  };
  const estimate = (whole: (i0: number, i1: number) => number): Estimate => {
    const value = whole(start, n);
    if (steadyN < MIN_CI_INTERVALS) return { value, ci95: NaN };
    const k = Math.min(BATCHES, steadyN);
    const xs: number[] = [];
    for (let b = 0; b < k; b++) xs.push(whole(start + Math.floor((b * steadyN) / k), start + Math.floor(((b + 1) * steadyN) / k)));
    return { value, ci95: meanCi(xs).ci95 };
  };
  return {
    reached: true,
    reason: "",
    warmupS: warm,
    method,
    hitRatio: estimate(ratio),
    evictedPerS: estimate((a, b) => rate(de, a, b)),
    expiredPerS: estimate((a, b) => rate(dx, a, b)),
    oomPerS: estimate((a, b) => rate(dn, a, b)),
    ...(s.p50 && s.p99
      ? { p50Ms: estimate((a, b) => wmedian(s.p50!, a, b)), p99Ms: estimate((a, b) => wmedian(s.p99!, a, b)) }
      : {}),
  };
}

const FIELDS = ["t", "hits", "misses", "evicted", "expired", "oom", "used", "p50", "p99", "completed"] as const;

/** Most intervals kept for the analysis; beyond, neighbours are merged (see SeriesBuffer). */
export const MAX_SERIES = 1 << 20;

/**
 * The per-interval values a run keeps for the steady-state analysis (10 numbers an interval). A run
 * of more than MAX_SERIES intervals keeps every second one from then on (and so on, doubling): the
 * counters are cumulative, so dropping a row merges two intervals exactly; latency percentiles are the
 * later interval's (an approximation only runs of over a million intervals see).
 */
export class SeriesBuffer {
  n = 0;
  private cols: Float64Array[] = FIELDS.map(() => new Float64Array(256));
  private readonly latency: boolean;
  private stride = 1;
  private pending = 0;
  private pendingCompleted = 0;
  constructor(latency: boolean) {
    this.latency = latency;
  }
  push(t: number, hits: number, misses: number, evicted: number, expired: number, oom: number, used: number, p50 = NaN, p99 = NaN, completed = 0): void {
    this.pendingCompleted += completed;
    if (++this.pending < this.stride) return;
    this.pending = 0;
    completed = this.pendingCompleted;
    this.pendingCompleted = 0;
    if (this.n === MAX_SERIES) this.halve();
    if (this.n === this.cols[0].length) this.cols = this.cols.map((c) => grownInto(c, new Float64Array(c.length * 2)));
    const i = this.n++;
    const c = this.cols;
    c[0][i] = t;
    c[1][i] = hits;
    c[2][i] = misses;
    c[3][i] = evicted;
    c[4][i] = expired;
    c[5][i] = oom;
    c[6][i] = used;
    c[7][i] = p50;
    c[8][i] = p99;
    c[9][i] = completed;
  }
  /** Keeps every second interval (merging neighbours); later intervals are kept one in 2× as many. */
  private halve(): void {
    const c = this.cols;
    for (let i = 0; 2 * i + 1 < this.n; i++) {
      const completions = c[9][2 * i] + c[9][2 * i + 1]; // completions add up
      for (let f = 0; f < FIELDS.length; f++) c[f][i] = c[f][2 * i + 1];
      c[9][i] = completions;
    }
    this.n = Math.floor(this.n / 2);
    this.stride *= 2;
  }

  series(): Series {
    const v = this.cols.map((c) => c.subarray(0, this.n));
    const s: Series = { t: v[0], hits: v[1], misses: v[2], evicted: v[3], expired: v[4], oom: v[5], used: v[6] };
    if (this.latency) Object.assign(s, { p50: v[7], p99: v[8], completed: v[9] });
    return s;
  }
}

/** The summary.csv columns of a steady state (the `_ci95` columns are 95 % half-widths). */
export function steadyColumns(s: SteadyState): Record<string, string | number> {
  const f = (x: number, digits = 6) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : "");
  const out: Record<string, string | number> = {
    steady_state: s.reached ? "reached" : "not reached",
    steady_note: s.reached ? `warm-up ${s.method === "fixed" ? "as given (output.warmup)" : "by MSER-5"}; 95 % intervals by batch means` : s.reason,
    warmup_s: f(s.warmupS, 3),
    steady_hit_ratio: f(s.hitRatio.value),
    steady_hit_ratio_ci95: f(s.hitRatio.ci95),
    steady_evicted_per_s: f(s.evictedPerS.value, 3),
    steady_evicted_per_s_ci95: f(s.evictedPerS.ci95, 3),
    steady_expired_per_s: f(s.expiredPerS.value, 3),
    steady_expired_per_s_ci95: f(s.expiredPerS.ci95, 3),
    steady_oom_rejected_per_s: f(s.oomPerS.value, 3),
    steady_oom_rejected_per_s_ci95: f(s.oomPerS.ci95, 3),
  };
  if (s.p50Ms && s.p99Ms)
    Object.assign(out, {
      steady_p50_ms: f(s.p50Ms.value, 3),
      steady_p50_ms_ci95: f(s.p50Ms.ci95, 3),
      steady_p99_ms: f(s.p99Ms.value, 3),
      steady_p99_ms_ci95: f(s.p99Ms.ci95, 3),
    });
  return out;
}
