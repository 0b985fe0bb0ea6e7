import type { Column } from "../metrics/columns.ts";
import type { Histogram } from "../metrics/histogram.ts";
import type { RedisServer } from "../redis/server.ts";
import type { EventAction, EventPlan } from "./plan.ts";

/*
 * A part of a run: one piece of the model (a server, its persistence, the cache-aside clients and
 * database, spatial sampling, the steady-state analysis) with what it contributes to the run's output.
 * The runner (runner.ts) is plain wiring of a list of parts: it asks each for its timeseries columns at
 * every sample, its summary fields at the end, and tells each of plan events and restarts. Adding a part
 * (a cluster shard, a replica, a data-type model) is one file implementing Part plus one line where the
 * runner lists its parts (docs/architecture.md).
 */

/** A timeseries column and the function giving its value at the sample being taken. */
export interface BoundColumn {
  readonly column: Column;
  readonly value: () => number;
}

/** The value functions of a column table: exactly one per column, by name (no positional assembly). */
export type ColumnValues<C extends readonly Column[]> = { readonly [K in C[number]["name"]]: () => number };

/** Binds a column table to its value functions, in the table's order (the CSV header's). */
export function bindColumns<C extends readonly Column[]>(table: C, values: ColumnValues<C>): BoundColumn[] {
  return table.map((column) => ({ column, value: (values as Record<string, () => number>)[column.name] }));
}

/** Summary fields of a part, by their summary.csv names. */
export type SummaryFields<C extends readonly Column[]> = Record<C[number]["name"], string | number>;

export interface Part {
  /** Timeseries columns this part adds to every row, in header order (none: an empty list). */
  readonly columns: readonly BoundColumn[];
  /** Before a row's values are read, at simulated time `t` (µs). */
  sampling?(t: number): void;
  /** After a row was taken (the values of every part), to start the next interval; `row` in header order. */
  sampled?(t: number, row: readonly number[]): void;
  /** Summary fields at the end of the run (`endUs`: the run's end), merged in the order of the parts. */
  summary?(endUs: number): Partial<Record<string, string | number>>;
  /**
   * The scenario events this part acts on, by name (`flushall`, `bgsave`, …), called in the order of the
   * parts. A restart, a crash and a prewarm involve several parts: events.ts runs them through `restarted`.
   */
  readonly on?: { readonly [A in EventAction]?: (e: EventPlan) => void };
  /** After a restart or crash of `server`: it is down, then loading, until `downUntil` (µs). */
  restarted?(server: RedisServer, downUntil: number): void;
}

// ---- how parts write their figures -----------------------------------------------------------------

/** A ratio or rate to 6 decimals. */
export const round6 = (x: number): number => Math.round(x * 1e6) / 1e6;

/** µs as ms to 3 decimals. */
export const ms3 = (us: number): number => Math.round(us) / 1000;

/** A latency histogram's percentile `p` in ms, or `empty` when it holds nothing ("" in the summary, NaN in a row). */
export function pctMs<E extends string | number>(h: Histogram, p: number, empty: E): number | E {
  return h.totalCount > 0 ? ms3(h.getValueAtPercentile(p)) : empty;
}

/** A latency histogram's largest value in ms, or `empty` when it holds nothing. */
export function maxMs<E extends string | number>(h: Histogram, empty: E): number | E {
  return h.totalCount > 0 ? ms3(h.maxValue) : empty;
}
