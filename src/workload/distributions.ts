
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

/** A TTL distribution, ms (0 = no TTL), given by its quantile: `at(u)` for u uniform in [0, 1). */
export interface TtlDist {
  at(u: number): number;
  readonly none: boolean;
}

export const NO_TTL: TtlDist = { at: () => 0, none: true };

/** A fixed TTL with ± `jitter` (a fraction) applied uniformly per write. */
export function ttlJitter(ttlMs: number, jitter: number): TtlDist {
  if (jitter === 0) return { at: () => ttlMs, none: false };
  return { at: (u) => Math.max(1, Math.round(ttlMs * (1 + jitter * (2 * u - 1)))), none: false };
}

export function ttlUniform(minMs: number, maxMs: number): TtlDist {
  return { at: (u) => Math.round(minMs + u * (maxMs - minMs)), none: false };
}
