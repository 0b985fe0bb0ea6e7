/*
 * The maxmemory policies. Redis builds each policy from flags (server.h MAXMEMORY_FLAG_*): a candidate
 * set (every key, or only keys with a TTL) times a score (higher = evict first). This table is the only
 * place a policy is registered.
 */

export const CAND_NONE = 0;
export const CAND_ALLKEYS = 1;
export const CAND_VOLATILE = 2;

export const SCORE_NONE = 0;
export const SCORE_LRU = 1; // idle time from the 1 s LRU clock
export const SCORE_LFU = 2; // 255 − decayed log counter
export const SCORE_TTL = 3; // earlier absolute expiry = higher
export const SCORE_RANDOM = 4; // no pool: one random key per victim
export const SCORE_EXACT_LRU = 5; // reference policy, not Redis: true least-recently-used
export const SCORE_OPT = 6; // reference policy, not Redis: Belady's farthest next use

export interface PolicySpec {
  readonly candidates: number;
  readonly score: number;
  /** True for reference policies that real Redis does not have (for comparison and teaching). */
  readonly reference: boolean;
  readonly describe: string;
}

const p = (candidates: number, score: number, describe: string, reference = false): PolicySpec => ({
  candidates,
  score,
  reference,
  describe,
});

export const POLICIES = {
  noeviction: p(CAND_NONE, SCORE_NONE, "no eviction: writes fail with OOM once used_memory > maxmemory"),
  "allkeys-lru": p(CAND_ALLKEYS, SCORE_LRU, "approximated LRU over all keys"),
  "allkeys-lfu": p(CAND_ALLKEYS, SCORE_LFU, "approximated LFU over all keys"),
  "allkeys-random": p(CAND_ALLKEYS, SCORE_RANDOM, "a random key"),
  "volatile-lru": p(CAND_VOLATILE, SCORE_LRU, "approximated LRU over keys with a TTL"),
  "volatile-lfu": p(CAND_VOLATILE, SCORE_LFU, "approximated LFU over keys with a TTL"),
  "volatile-random": p(CAND_VOLATILE, SCORE_RANDOM, "a random key with a TTL"),
  "volatile-ttl": p(CAND_VOLATILE, SCORE_TTL, "the sampled key with the nearest expiry"),
  "exact-lru": p(CAND_ALLKEYS, SCORE_EXACT_LRU, "reference policy, not Redis: true LRU over all keys", true),
  opt: p(CAND_ALLKEYS, SCORE_OPT, "reference policy, not Redis: Belady's optimal (evict the key needed farthest in the future)", true),
} as const satisfies Record<string, PolicySpec>;

export type PolicyName = keyof typeof POLICIES;
export const POLICY_NAMES = Object.keys(POLICIES) as PolicyName[];
export const REDIS_POLICY_NAMES = POLICY_NAMES.filter((n) => !POLICIES[n].reference);

/** Object stamps hold LFU data only under the two LFU policies; every other policy keeps LRU stamps. */
export function usesLfu(name: PolicyName): boolean {
  return POLICIES[name].score === SCORE_LFU;
}

/** Redis disables shared integer objects under LRU/LFU policies with a maxmemory (MAXMEMORY_FLAG_NO_SHARED_INTEGERS). */
export function sharesIntegers(name: PolicyName, maxmemory: number): boolean {
  const s = POLICIES[name].score;
  return maxmemory === 0 || !(s === SCORE_LRU || s === SCORE_LFU || s === SCORE_EXACT_LRU || s === SCORE_OPT);
}
