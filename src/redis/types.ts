import type { Rng } from "../core/random.ts";
import type { Keyspace } from "./keyspace.ts";
import type { OptIndex } from "./opt.ts";
import type { EvictionPool } from "./pool.ts";
import type { Stats } from "./stats.ts";

/*
 * Narrow views of the server for the code that runs on its behalf: the score behaviours of the maxmemory
 * policies (policy/*.ts) and performEvictions (evict.ts). RedisServer satisfies them; neither evict.ts nor
 * the policy files import server.ts, so the server's modules form no import circle.
 */

/*
 * The candidate set of a maxmemory policy (server.h MAXMEMORY_FLAG_ALLKEYS, or its absence: the keys with
 * a TTL, which Redis samples from the expires dict). Registered per policy in policies.ts.
 */
export const CAND_NONE = 0;
export const CAND_ALLKEYS = 1;
export const CAND_VOLATILE = 2;

/** The keys of one prewarm, hottest first (see RedisServer.warm). */
export interface WarmKeys {
  key: number[];
  /** requests per second to the key */
  rate: number[];
  /** value bytes of a SET of it now */
  vlen: number[];
  /** the TTL (ms) a SET of it now would carry, 0 = none */
  ttlMs: number[];
}

/** What a score behaviour reads of the server: the cached clocks, the LFU settings, the keyspace. */
export interface PolicyServer {
  /** The settings read here (of RedisConfig, config.ts, which names the policy and so is not imported). */
  readonly cfg: {
    readonly lfuLogFactor: number;
    readonly lfuDecayTime: number;
    readonly maxmemorySamples: number;
    readonly maxmemoryEvictionTenacity: number;
    readonly databases: number;
  };
  readonly ks: Keyspace;
  /** The cron-cached LRU clock (seconds mod 2^24). */
  readonly lruclock: number;
  /** The command-start cached time, simulated ms. */
  readonly nowMs: number;
  readonly rngLfu: Rng;
  /** Belady's index, when the score needs one (ScorePolicy.needsNextUse). */
  readonly opt: OptIndex | null;
  /** Next-access index of the request being executed. */
  readonly nextAccess: number;
}

/** What performEvictions and the victim choices read and change of the server. */
export interface EvictServer extends PolicyServer {
  used: number;
  readonly maxmemory: number;
  /** Start of the current over-limit period, µs, or −1. */
  exceededSince: number;
  readonly stats: Stats;
  readonly sim: { readonly now: number };
  /** CAND_* of the policy. */
  readonly candidates: number;
  readonly scorePolicy: ScorePolicy;
  readonly pool: EvictionPool;
  /** Scratch space for one populate call's sampled keys (maxmemory-samples long). */
  readonly sampleBuf: Int32Array;
  readonly rngEvict: Rng;
  /** DBs that may hold keys, ascending. */
  readonly activeDbs: readonly number[];
  /** Round-robin DB cursor of the random policies (evict.c next_db). */
  nextDb: number;
  readonly bgEvictionRunning: boolean;
  /** dbSyncDelete. */
  deleteKey(key: number): void;
  /** Starts the background eviction time event after a call that spent `spentUs` of its budget. */
  startBackgroundEviction(spentUs: number): void;
}

/** How a prewarm stamps the keys it loads (as RESTORE … IDLETIME / FREQ and an RDB load do: objectSetLRUOrLFU). */
export interface WarmStamps {
  /**
   * The steady state's probability that key i (of the WarmKeys) is present in a warm server whose
   * characteristic time is `tS` seconds, applied under allkeys-* policies; null: a warm server holds the
   * hottest keys.
   */
  readonly presence: ((i: number, tS: number) => number) | null;
  /** The `lru` field of loaded key i (id `key`), for the characteristic time `tS` and a uniform draw `u`. */
  stamp(i: number, key: number, tS: number, u: number): number;
  /** After the last key is loaded. */
  finish(): void;
}

/**
 * A score behaviour: what a key's 24-bit `lru` field holds and how it changes (db.c lookupKey's touch,
 * createObject, dbOverwrite), the score evictionPoolPopulate gives a sampled key (higher = evict first),
 * or the victim chosen without the pool, and how a prewarm stamps its keys. One object per behaviour, one
 * file each under policy/; registered with a candidate set in policies.ts.
 *
 * The functions are called unbound (never through `this`) on the hot paths: every read touches a key,
 * every eviction scores maxmemory-samples keys.
 */
export interface ScorePolicy {
  /** The `lru` field holds LFU data [16-bit minutes | 8-bit counter] (MAXMEMORY_FLAG_LFU); else an LRU clock stamp. */
  readonly lfu: boolean;
  /** MAXMEMORY_FLAG_NO_SHARED_INTEGERS: each key needs its own value object to carry its stamp. */
  readonly noSharedIntegers: boolean;
  /**
   * With a volatile-* candidate set, the score reads the value object, so a key sampled from the expires
   * dict is looked up again in the main dict (evict.c: every pool policy but volatile-ttl).
   */
  readonly readsValueObject: boolean;
  /** The keyspace keeps every key on a doubly linked list in order of last use (Keyspace.lruHead/lruTail). */
  readonly needsLruList: boolean;
  /** The server keeps each key's next request index (RedisServer.opt). */
  readonly needsNextUse: boolean;
  /** The `lru` field of a key after a read or write touches it (lookupKey; skipped while a fork child exists). */
  access(lru: number, s: PolicyServer): number;
  /** The `lru` field of a new key's value object (createObject). */
  created(s: PolicyServer): number;
  /** dbOverwrite: the `lru` field of the new value object, given the old one's (just touched). */
  overwritten(lru: number, s: PolicyServer): number;
  /** The eviction score of a sampled key with `lru` field `lru` (higher = better victim); unused without the pool. */
  score(key: number, lru: number, s: PolicyServer): number;
  /** Besides the `lru` field, on every touch of an existing key (even while a fork child exists); null = nothing. */
  readonly accessed: ((key: number, s: PolicyServer) => void) | null;
  /** On the creation of a key; null = nothing. */
  readonly added: ((key: number, s: PolicyServer) => void) | null;
  /** On the deletion of a key; null = nothing. */
  readonly deleted: ((key: number, s: PolicyServer) => void) | null;
  /** The next victim chosen without the eviction pool, or NO_KEY when none; null = the pool (evictionPoolPopulate). */
  readonly victim: ((s: EvictServer) => number) | null;
  /** The stamps of one prewarm loading `keys` at simulated millisecond `nowMs`. */
  warm(keys: WarmKeys, nowMs: number, s: PolicyServer): WarmStamps;
}
