import { exactLruScore } from "./policy/exact-lru.ts";
import { lfuScore } from "./policy/lfu.ts";
import { lruScore } from "./policy/lru.ts";
import { noScore } from "./policy/none.ts";
import { optScore } from "./policy/opt.ts";
import { randomScore } from "./policy/random.ts";
import { ttlScore } from "./policy/ttl.ts";
import { CAND_ALLKEYS, CAND_NONE, CAND_VOLATILE, type ScorePolicy } from "./types.ts";

/*
 * The maxmemory policies. Redis builds each policy from flags (server.h MAXMEMORY_FLAG_*): a candidate
 * set (every key, or only keys with a TTL) times a score (higher = evict first). This table is the only
 * place a policy is registered.
 *
 * A score behaviour is one object implementing ScorePolicy (src/redis/types.ts), one file each:
 *   src/redis/policy/lru.ts        idle time from the 1 s LRU clock (also the LRU stamps the others reuse)
 *   src/redis/policy/lfu.ts        255 − the decayed log counter
 *   src/redis/policy/ttl.ts        the nearest absolute expiry
 *   src/redis/policy/random.ts     no pool: one random key per victim
 *   src/redis/policy/none.ts       noeviction: no candidate, no score
 *   src/redis/policy/exact-lru.ts  reference policy, not Redis: true least-recently-used
 *   src/redis/policy/opt.ts        reference policy, not Redis: Belady's farthest next use
 * The server (src/redis/server.ts) calls the behaviour on every touch, new key, overwrite and delete, and
 * at prewarm; performEvictions (src/redis/evict.ts) asks it for scores or for its victim.
 *
 * To add a policy: write src/redis/policy/<name>.ts exporting a ScorePolicy (copy the nearest one), and
 * add one line to POLICIES below with its candidate set. The scenario schema takes its list of names from
 * POLICY_NAMES.
 */

export { CAND_ALLKEYS, CAND_NONE, CAND_VOLATILE } from "./types.ts";
export type { ScorePolicy } from "./types.ts";

export interface PolicySpec {
  /** CAND_*: every key, the keys with a TTL, or none. */
  readonly candidates: number;
  readonly score: ScorePolicy;
  /** True for reference policies that real Redis does not have (for comparison and teaching). */
  readonly reference: boolean;
  readonly describe: string;
}

const p = (candidates: number, score: ScorePolicy, describe: string, reference = false): PolicySpec => ({
  candidates,
  score,
  reference,
  describe,
});

export const POLICIES = {
  noeviction: p(CAND_NONE, noScore, "no eviction: writes fail with OOM once used_memory > maxmemory"),
  "allkeys-lru": p(CAND_ALLKEYS, lruScore, "approximated LRU over all keys"),
  "allkeys-lfu": p(CAND_ALLKEYS, lfuScore, "approximated LFU over all keys"),
  "allkeys-random": p(CAND_ALLKEYS, randomScore, "a random key"),
  "volatile-lru": p(CAND_VOLATILE, lruScore, "approximated LRU over keys with a TTL"),
  "volatile-lfu": p(CAND_VOLATILE, lfuScore, "approximated LFU over keys with a TTL"),
  "volatile-random": p(CAND_VOLATILE, randomScore, "a random key with a TTL"),
  "volatile-ttl": p(CAND_VOLATILE, ttlScore, "the sampled key with the nearest expiry"),
  "exact-lru": p(CAND_ALLKEYS, exactLruScore, "reference policy, not Redis: true LRU over all keys", true),
  opt: p(CAND_ALLKEYS, optScore, "reference policy, not Redis: Belady's optimal (evict the key needed farthest in the future)", true),
} as const satisfies Record<string, PolicySpec>;

export type PolicyName = keyof typeof POLICIES;
export const POLICY_NAMES = Object.keys(POLICIES) as PolicyName[];
export const REDIS_POLICY_NAMES = POLICY_NAMES.filter((n) => !POLICIES[n].reference);

/** Object stamps hold LFU data only under the two LFU policies; every other policy keeps LRU stamps. */
export function usesLfu(name: PolicyName): boolean {
  return POLICIES[name].score.lfu;
}

/** Redis disables shared integer objects under LRU/LFU policies with a maxmemory (MAXMEMORY_FLAG_NO_SHARED_INTEGERS). */
export function sharesIntegers(name: PolicyName, maxmemory: number): boolean {
  return maxmemory === 0 || !POLICIES[name].score.noSharedIntegers;
}
