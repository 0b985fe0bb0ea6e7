import type { QuantileDist } from "../core/distributions.ts";
import type { TtlDist } from "./distributions.ts";
import type { HashTag } from "../cluster/config.ts";

/*
 * The workload settings the generator runs on (a scenario's `workload` section, compiled by
 * scenario/compile.ts), and the names the scenario spells them with. Each list below is the one
 * declaration of its names: the schema offers them, the codes the model compares against are their
 * positions.
 */

/** Key ids are 32-bit: the most keys one run can hold (every class together). */
export const MAX_KEYS = 500_000_000;

/** How requests arrive: a Poisson process, or evenly spaced at the rate. */
export const ARRIVALS = ["poisson", "constant"] as const;
export type Arrivals = (typeof ARRIVALS)[number];

/** A key class's mode: cache-aside (GET, and SET on a miss) or an explicit get/set/del mix. */
export const MODES = ["cache-aside", "explicit"] as const;
export const MODE_CACHE_ASIDE = 0;
export const MODE_EXPLICIT = 1;

/** Which keys of a class are asked for: every key alike, Zipf by rank, or a hot set. */
export const POPULARITIES = ["uniform", "zipf", "hot-set"] as const;
export const POP_UNIFORM = 0;
export const POP_ZIPF = 1;
export const POP_HOTSET = 2;

/** A popularity as the generator draws it; the defaults are those of `popularity: uniform`. */
export interface Popularity {
  kind: number;
  alpha: number;
  /** hot-set: fraction of keys that are hot, and the share of requests they get. */
  hotKeys: number;
  hotShare: number;
  /** Rotates ranks over keys by this fraction of the keyspace (a hot set that moves). */
  offset: number;
}

/** `popularity: uniform`, and what an object form leaves out (zipf's alpha is 1). */
export const POPULARITY_DEFAULTS: Readonly<Popularity> = { kind: POP_UNIFORM, alpha: 1, hotKeys: 0, hotShare: 0, offset: 0 };

/** An unbounded class's new-keys when the scenario leaves it out: every request creates a key. */
export const NEW_KEYS_DEFAULT = 1;

/** One key class's settings in one phase. */
export interface ClassPhase {
  share: number;
  size: QuantileDist;
  ttl: TtlDist;
  popularity: Popularity;
  newKeys: number;
}

export interface ClassPlan {
  name: string;
  prefix: string;
  db: number;
  /** Key count, or −1 for unbounded. */
  keys: number;
  mode: number;
  /** Explicit-mode mix, cumulative: [get, get+set] (del is the rest). */
  opsCum: [number, number];
  /** Settings per phase (one entry when the scenario has no phases). */
  phases: ClassPhase[];
  /** How its key names carry a hash tag (workload/keys.ts). */
  hashTag: HashTag;
}

export interface PhasePlan {
  name: string;
  startUs: number;
  endUs: number;
  rate: number;
}

// ---- traces --------------------------------------------------------------------------------------------

/** The trace formats the readers (io/traces) know; `auto` picks one from the file name. */
export const TRACE_FORMATS = ["auto", "csv", "oracle-general", "libcachesim-csv", "cache2k", "twitter"] as const;
export type TraceFormat = Exclude<(typeof TRACE_FORMATS)[number], "auto">;
/** How a trace's GETs are replayed: as cache-aside reads (a miss SETs), or literally. */
export const TRACE_MODES = ["cache-aside", "literal"] as const;
export type TraceMode = (typeof TRACE_MODES)[number];
export const TIME_UNITS = ["s", "ms", "us"] as const;

/**
 * A trace to replay (a scenario's `workload.trace`, as written: the readers apply their formats'
 * defaults). Options named in a format's own terms (libCacheSim's column numbers, cache2k's rate).
 */
export interface TraceSpec {
  path: string;
  format: (typeof TRACE_FORMATS)[number];
  mode: TraceMode;
  "time-col"?: number;
  "obj-id-col"?: number;
  "obj-size-col"?: number;
  "op-col"?: number;
  "ttl-col"?: number;
  delimiter?: string;
  "has-header"?: boolean;
  "obj-id-is-num"?: boolean;
  "time-unit"?: (typeof TIME_UNITS)[number];
  rate?: number;
  "value-size"?: string | number;
}

export interface WorkloadPlan {
  kind: "generated" | "trace";
  arrivals: Arrivals;
  classes: ClassPlan[];
  phases: PhasePlan[];
  trace?: TraceSpec;
}

/** What the generator reads of a run's plan (parts/plan.ts's Plan has it). */
export interface GeneratorPlan {
  seed: number;
  /** Present in a cluster run: the generator then gives each key's hash slot when it declares it. */
  cluster?: unknown;
  /** Simulated duration, µs; Infinity for a run with no end. */
  durationUs: number;
  workload: WorkloadPlan;
}
