/*
 * The TTL a workload's SET carries (a scenario's `ttl`), given by its quantile: the same request gets the
 * same TTL under every policy. Value-size distributions are in core/distributions.ts.
 */

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
