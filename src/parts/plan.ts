import type { AppPlan } from "../app/config.ts";
import type { ClusterPlan } from "../cluster/config.ts";
import type { RedisConfig } from "../redis/config.ts";
import type { PersistencePlan } from "../redis/persistence/config.ts";
import type { WorkloadPlan } from "../workload/config.ts";

/*
 * A run's input: the whole scenario compiled to the numbers the model runs on (scenario/compile.ts
 * produces it), each part's settings in the type declared beside that part, and the scheduled events.
 */

/**
 * The scheduled events, as a scenario names them: FLUSHALL, a restart (SHUTDOWN and start again; with
 * persistence it saves first and loads its data), a prewarm (each class's hottest keys loaded), a crash,
 * BGSAVE and BGREWRITEAOF. An event's code is its position in this list.
 */
export const EVENT_ACTIONS = ["flushall", "restart", "prewarm", "crash", "bgsave", "bgrewriteaof", "reshard", "add-node", "remove-node", "failover", "replica-resync"] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];
export const EV_FLUSHALL = 0;
export const EV_RESTART = 1;
export const EV_PREWARM = 2;
export const EV_CRASH = 3;
export const EV_BGSAVE = 4;
export const EV_BGREWRITEAOF = 5;
/** Cluster events (cluster/*.ts): slots moved between masters, a master added or removed, a master's death, a replica's reconnection. */
export const EV_RESHARD = 6;
export const EV_ADD_NODE = 7;
export const EV_REMOVE_NODE = 8;
export const EV_FAILOVER = 9;
export const EV_REPLICA_RESYNC = 10;

/** A reshard's pace when the scenario gives none: keys migrated per second (redis-cli's MIGRATE batches of 10 keys, ~0.1 ms each). */
export const RESHARD_RATE_DEFAULT = 50_000;

/** A crash: the machine loses power (only fsynced data survives) or the process dies (what was written to the kernel survives). */
export const CRASH_KINDS = ["power-loss", "process"] as const;

/** What an event leaves out: a restart's or a crash's downtime (µs), a crash's kind. */
export const EVENT_DEFAULTS = {
  downtimeUs: 1_000_000,
  kind: "power-loss",
} as const satisfies { kind: (typeof CRASH_KINDS)[number]; downtimeUs: number };

export interface EventPlan {
  atUs: number;
  /** EV_FLUSHALL … EV_BGREWRITEAOF (the position in EVENT_ACTIONS). */
  action: number;
  /** restart: how long the server is down (µs). */
  downtimeUs: number;
  /** restart and prewarm: fraction of each class's hottest keys loaded (0 = none). */
  keys: number;
  /** crash: power loss (only fsynced data survives) rather than a process crash. */
  powerLoss: boolean;
  /** Cluster events: the master acted on (reshard: the source; remove-node, failover, replica-resync), −1 if none. */
  node: number;
  /** reshard: the master the slots move to, −1 if none. */
  to: number;
  /** reshard: the slots to move (ascending), or null to move `slotCount` of the source's (its lowest, as redis-cli takes them). */
  slots: number[] | null;
  slotCount: number;
  /** reshard, add-node, remove-node: keys migrated per second. */
  rate: number;
  /** add-node: move slots to the new master so that every master holds an even share (redis-cli --cluster rebalance). */
  rebalance: boolean;
}

export interface Plan {
  seed: number;
  /**
   * Spatial sampling rate (SHARDS): only keys whose hash falls below this fraction are simulated, with
   * maxmemory's dataset part scaled by it and counts scaled back up; 1 = every key.
   */
  sampling: number;
  /** Simulated duration, µs; Infinity for a trace with no duration (it runs to its end). */
  durationUs: number;
  intervalUs: number;
  /** output.warmup: the end of the warm-up (µs), or undefined for `auto` (MSER-5, metrics/steady.ts). */
  warmupUs?: number;
  redis: RedisConfig;
  workload: WorkloadPlan;
  app?: AppPlan;
  events: EventPlan[];
  /** Persistence (RDB save points, AOF) and its costs; absent when neither is configured nor used. */
  persistence?: PersistencePlan;
  /** A Redis Cluster (cluster/config.ts): several masters, the slot map, replicas; absent for one server. */
  cluster?: ClusterPlan;
}
