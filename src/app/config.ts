import type { ServiceDist } from "../core/distributions.ts";
import type { ClassPlan } from "../workload/config.ts";

/*
 * The cache-aside clients' settings the model runs on (a scenario's `app` and `database` sections and
 * each key class's `mitigation`, compiled by scenario/compile.ts), and the names the scenario spells
 * them with. MITIGATIONS is the one list of mitigation names; a mitigation's code is its position.
 */

/** A key class's stampede mitigation, by name (cache-aside.ts describes each). */
export const MITIGATIONS = ["none", "lock", "xfetch", "ttl-jitter", "stale-while-revalidate"] as const;
export type MitigationName = (typeof MITIGATIONS)[number];
export const MIT_NONE = 0;
export const MIT_LOCK = 1;
export const MIT_XFETCH = 2;
export const MIT_TTL_JITTER = 3;
export const MIT_SWR = 4;

/** The parameters each mitigation takes, as a scenario writes them. */
export const MITIGATION_PARAMS = {
  none: [],
  xfetch: ["beta"],
  lock: ["lock-ttl", "poll", "holder-failure"],
  "ttl-jitter": ["jitter"],
  "stale-while-revalidate": ["stale", "refresh"],
} as const satisfies Record<MitigationName, readonly string[]>;

/** stale-while-revalidate's refresh: through the lock (one refresh at a time), or one per stale hit. */
export const SWR_REFRESH = ["lock", "none"] as const;

/**
 * What a mitigation's parameters are when the scenario leaves them out. lock-ttl's PX is twice the
 * query time's 99th percentile, at least 1 ms (the reference's presets); β = 1 is the paper's default.
 */
export const MITIGATION_DEFAULTS = {
  lockTtlP99Factor: 2,
  lockTtlMinUs: 1000,
  pollUs: 10_000,
  holderFailure: 0,
  beta: 1,
  jitter: 0.1,
  staleUs: 60_000_000,
  refresh: "lock",
} as const satisfies { refresh: (typeof SWR_REFRESH)[number] } & Record<string, unknown>;

/** A key class's stampede mitigation. */
export interface MitigationPlan {
  /** MIT_NONE … MIT_SWR (the position in MITIGATIONS). */
  kind: number;
  /** lock: PX of SET NX (µs), poll interval of waiters (µs), probability that a holder dies. */
  lockTtlUs: number;
  pollUs: number;
  holderFailure: number;
  /** xfetch: β. */
  beta: number;
  /** ttl-jitter: ± fraction. */
  jitter: number;
  /** stale-while-revalidate: how long past the soft TTL a value may be served (µs); refresh through a lock. */
  staleUs: number;
  refreshLock: boolean;
}

/** A retry's backoff jitter (AWS's "full jitter": uniform in [0, backoff]), or none. */
export const RETRY_JITTER = ["full", "none"] as const;

/** The cache-aside clients and the database they fall back to (present when the scenario has `database`). */
export interface AppPlan {
  instances: number;
  redisRttUs: number;
  redisCommandUs: number;
  retry: { max: number; baseUs: number; capUs: number; full: boolean };
  connections: number;
  dbRttUs: number;
  /** Service-time distributions: index 0 is the database default, then one per class that overrides it. */
  service: ServiceDist[];
  /** Per class: index into `service`. */
  queryKind: number[];
  /** Per class. */
  mitigation: MitigationPlan[];
  poolTimeoutUs: number;
  queryTimeoutUs: number;
  cancelOnTimeout: boolean;
}

/** What the cache-aside clients read of a run's plan (parts/plan.ts's Plan has it). */
export interface CacheAsidePlan {
  app?: AppPlan;
  workload: { classes: readonly ClassPlan[] };
}
