import type { Rng } from "./random.ts";

/*
 * Distributions the model draws from: value sizes and TTL bases (given by their quantile function, so a
 * key's size is a fixed function of a per-key uniform) and service times in µs (the database's query
 * time, the disk's fsync time), each drawn from an Rng stream.
 */

/** Inverse of the standard normal CDF (P. J. Acklam's rational approximation, relative error < 1.15e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

export const Z99 = normalQuantile(0.99); // 2.3263…

/** A distribution given by its quantile function: sizes are a fixed function of a per-key uniform. */
export interface QuantileDist {
  /** The value at cumulative probability u ∈ [0, 1). */
  quantile(u: number): number;
  readonly mean: number;
}

export function fixedDist(v: number): QuantileDist {
  return { quantile: () => v, mean: v };
}

/** Uniform integers in [min, max]. */
export function uniformIntDist(min: number, max: number): QuantileDist {
  const span = max - min + 1;
  return { quantile: (u) => min + Math.floor(u * span), mean: (min + max) / 2 };
}

/** Lognormal given its median and 99th percentile, rounded to integers ≥ `floor`. */
export function lognormalDist(median: number, p99: number, floor = 1): QuantileDist {
  const mu = Math.log(median);
  const sigma = (Math.log(p99) - mu) / Z99;
  return {
    quantile: (u) => Math.max(floor, Math.round(Math.exp(mu + sigma * normalQuantile(u)))),
    mean: Math.exp(mu + (sigma * sigma) / 2),
  };
}

/** An empirical distribution: values with weights. */
export function empiricalDist(values: number[], weights?: number[]): QuantileDist {
  const w = weights ?? values.map(() => 1);
  const total = w.reduce((a, b) => a + b, 0);
  const cdf = new Float64Array(values.length);
  let acc = 0;
  for (let i = 0; i < values.length; i++) cdf[i] = acc += w[i] / total;
  const vs = Float64Array.from(values);
  return {
    quantile: (u) => {
      let lo = 0, hi = vs.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cdf[mid] > u) hi = mid;
        else lo = mid + 1;
      }
      return vs[lo];
    },
    mean: values.reduce((a, v, i) => a + (v * w[i]) / total, 0),
  };
}

/** A service-time distribution in µs. */
export interface ServiceDist {
  readonly mean: number;
  /** Squared coefficient of variation (Var/mean²), for the Allen–Cunneen comparison. */
  readonly cs2: number;
  sample(rng: Rng): number;
}

export function fixedService(us: number): ServiceDist {
  return { mean: us, cs2: 0, sample: () => us };
}

export function exponentialService(meanUs: number): ServiceDist {
  return { mean: meanUs, cs2: 1, sample: (rng) => Math.max(1, Math.round(rng.exp(meanUs))) };
}

/** Lognormal from p50 and p99: μ = ln p50, σ = ln(p99/p50) / 2.326 (docs/persistence-model.md §E1). */
export function lognormalService(p50Us: number, p99Us: number): ServiceDist {
  const q = lognormalDist(p50Us, p99Us);
  const sigma = Math.log(p99Us / p50Us) / Z99;
  return { mean: q.mean, cs2: Math.exp(sigma * sigma) - 1, sample: (rng) => q.quantile(rng.nextOpen()) };
}

/** Values with weights, drawn by inverse CDF. */
export function empiricalService(values: number[], weights?: number[]): ServiceDist {
  const q = empiricalDist(values, weights);
  const w = weights ?? values.map(() => 1);
  const total = w.reduce((x, y) => x + y, 0);
  const m2 = values.reduce((acc, v, i) => acc + (v * v * w[i]) / total, 0);
  return {
    mean: q.mean,
    cs2: q.mean > 0 ? (m2 - q.mean * q.mean) / (q.mean * q.mean) : 0,
    sample: (rng) => Math.max(1, Math.round(q.quantile(rng.next()))),
  };
}
