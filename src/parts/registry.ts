import type { Streams } from "../core/random.ts";
import type { Sim } from "../core/sim.ts";
import { US_PER_S } from "../core/time.ts";
import {
  APP_STEADY_SUMMARY_COLUMNS,
  APP_SUMMARY_COLUMNS,
  APP_TIMESERIES_COLUMNS,
  PERSISTENCE_SUMMARY_COLUMNS,
  PERSISTENCE_TIMESERIES_COLUMNS,
  STEADY_SUMMARY_COLUMNS,
  SUMMARY_COLUMNS,
  TIMESERIES_COLUMNS,
  type Column,
} from "../metrics/columns.ts";
import { Persistence } from "../redis/persistence.ts";
import type { RedisServer } from "../redis/server.ts";
import { AppPart } from "./app.ts";
import type { Part } from "./part.ts";
import { PersistencePart } from "./persistence.ts";
import type { Plan } from "./plan.ts";
import type { Sampler } from "./sampling.ts";
import { ServerPart, type RunIdentity, type Traffic } from "./server.ts";
import { SteadyPart } from "./steady.ts";

/*
 * The kinds of part a run may have, in the order of their columns and summary fields: the one place a
 * part is registered. For a plan, each kind says whether the run has it, which timeseries columns and
 * summary fields it adds (so that the CSV header is known before the run: runColumns, runSummaryColumns)
 * and how it is made from the run's wiring. Adding a part: its file, and one entry here
 * (docs/architecture.md).
 */

/** What a part is made from: the run's kernel, servers, sampling and the runner's counters. */
export interface Wiring {
  readonly plan: Plan;
  readonly sim: Sim;
  readonly servers: readonly RedisServer[];
  /** Server i's random streams (the first server's are the run's). */
  readonly streamsOf: (i: number) => Streams;
  readonly sampler: Sampler;
  readonly traffic: Traffic;
  readonly id: RunIdentity;
  /** Requests refused while a server was down or loading: the runner's and the clients'. */
  readonly refused: () => number;
  /** The run's timeseries columns (all parts'), once every part is made. */
  readonly header: () => readonly Column[];
  /** Whether the cache-aside clients exist (a generated workload made them). */
  readonly clientsLive: () => boolean;
}

export interface PartKind {
  readonly name: string;
  /** Whether a run of `plan` has this part. */
  present(plan: Plan): boolean;
  /** The timeseries columns it adds, in order. */
  readonly columns: readonly Column[];
  /** The summary fields a run with it has (in summary.csv's order). */
  readonly summary: readonly Column[];
  make(w: Wiring): Part;
}

export const PART_KINDS: readonly PartKind[] = [
  {
    name: "servers",
    present: () => true,
    columns: TIMESERIES_COLUMNS,
    summary: SUMMARY_COLUMNS,
    make: (w) => new ServerPart(w.servers, w.sampler, w.traffic, w.id),
  },
  {
    name: "steady state",
    present: () => true,
    columns: [],
    summary: STEADY_SUMMARY_COLUMNS,
    make: (w) => new SteadyPart(w.header, w.plan.app !== undefined, w.clientsLive, w.plan.warmupUs === undefined ? undefined : w.plan.warmupUs / US_PER_S),
  },
  {
    name: "cache-aside clients and database",
    present: (plan) => plan.app !== undefined,
    columns: APP_TIMESERIES_COLUMNS,
    // the steady latency figures come from the steady-state part, with the clients' columns
    summary: [...APP_SUMMARY_COLUMNS, ...APP_STEADY_SUMMARY_COLUMNS],
    make: (w) => new AppPart(w.plan),
  },
  {
    name: "persistence",
    present: (plan) => plan.persistence !== undefined,
    columns: PERSISTENCE_TIMESERIES_COLUMNS,
    summary: PERSISTENCE_SUMMARY_COLUMNS,
    make: (w) => {
      if (w.servers.length > 1) throw new Error("persistence on several servers is not modelled yet");
      const server = w.servers[0], s = w.streamsOf(0);
      server.persistence = new Persistence(w.plan.persistence!, server, w.sim, s.get("disk"), s.get("cow").u32() | 0);
      return new PersistencePart(server.persistence, server, w.refused);
    },
  },
];

/** The timeseries columns of a run of `plan` (timeseries.csv's header). */
export function runColumns(plan: Plan): Column[] {
  return PART_KINDS.filter((k) => k.present(plan)).flatMap((k) => k.columns);
}

/** The summary fields of a run of `plan` (summary.csv's header). */
export function runSummaryColumns(plan: Plan): Column[] {
  return PART_KINDS.filter((k) => k.present(plan)).flatMap((k) => k.summary);
}
