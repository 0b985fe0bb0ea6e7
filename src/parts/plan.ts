import type { AppPlan } from "../app/config.ts";
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
export const EVENT_ACTIONS = ["flushall", "restart", "prewarm", "crash", "bgsave", "bgrewriteaof"] as const;
export type EventAction = (typeof EVENT_ACTIONS)[number];
export const EV_FLUSHALL = 0;
export const EV_RESTART = 1;
export const EV_PREWARM = 2;
export const EV_CRASH = 3;
export const EV_BGSAVE = 4;
export const EV_BGREWRITEAOF = 5;

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
}
