import type { Rng } from "../core/random.ts";

/**
 * Zipf(alpha) over ranks 1..n by rejection-inversion (W. Hörmann and G. Derflinger, "Rejection-inversion
 * to generate variates from monotone discrete distributions", ACM TOMACS 6(3), 1996): O(1) time and
 * memory per draw for any n, so huge keyspaces need no table. P(rank k) ∝ k^−alpha; alpha 0 is uniform.
 */
export class ZipfSampler {
  readonly n: number;
  readonly alpha: number;
  private readonly hX1: number;
  private readonly hN: number;
  private readonly s: number;

  constructor(n: number, alpha: number) {
    if (!(n >= 1)) throw new Error(`zipf: n must be ≥ 1, got ${n}`);
    if (!(alpha >= 0)) throw new Error(`zipf: alpha must be ≥ 0, got ${alpha}`);
    this.n = n;
    this.alpha = alpha;
    this.hX1 = this.hIntegral(1.5) - 1;
    this.hN = this.hIntegral(n + 0.5);
    this.s = 2 - this.hIntegralInverse(this.hIntegral(2.5) - this.h(2));
  }

  /** A rank in 1..n. */
  sample(rng: Rng): number {
    const hN = this.hN, hX1 = this.hX1, n = this.n;
    for (;;) {
      const u = hN + rng.next() * (hX1 - hN);
      const x = this.hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > n) k = n;
      if (k - x <= this.s || u >= this.hIntegral(k + 0.5) - this.h(k)) return k;
    }
  }

  private h(x: number): number {
    return Math.exp(-this.alpha * Math.log(x));
  }

  /** ∫ h: (x^(1−a) − 1)/(1 − a), or log x at a = 1. */
  private hIntegral(x: number): number {
    const lx = Math.log(x);
    return helper2((1 - this.alpha) * lx) * lx;
  }

  private hIntegralInverse(x: number): number {
    let t = x * (1 - this.alpha);
    if (t < -1) t = -1; // numerical safety: x is never below the domain in exact arithmetic
    return Math.exp(helper1(t) * x);
  }
}

/** log(1 + x) / x, accurate near 0. */
function helper1(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

/** (e^x − 1) / x, accurate near 0. */
function helper2(x: number): number {
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + x * (1 / 3) * (1 + 0.25 * x));
}
