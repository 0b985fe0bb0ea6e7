/*
 * evictsim's public API without the charts: parse, compile and run a scenario, read its results (the
 * column tables), and the model's pieces the notebooks take apart. src/index.ts is this plus the
 * chart-spec builders (package.json exports this module as "evictsim/api"). The CLI and bin/sim.js
 * import this module rather than src/index.ts so that a command that draws nothing does not load
 * @observablehq/plot and d3 (measured: about 0.3 s more per `sim` process on an idle machine, up to 1 s
 * on a busy one); the commands that draw load the charts on demand, as before.
 *
 * Browser-safe like src/index.ts: nothing reachable from here imports a Node built-in, src/cli/ or
 * src/io/ (test/index.test.ts checks both entries).
 *
 *   import { runScenario } from "evictsim/api";
 *   const run = runScenario(yamlText, { set: ["redis.maxmemory=64mb"] });
 *   run.summary.hit_ratio; run.rows[0].used_memory;
 */

import { CLASS_COLUMNS, type Summary } from "./metrics/columns.ts";
import { US_PER_S } from "./core/time.ts";
import type { RedisServer } from "./redis/server.ts";
import { parseScenario } from "./scenario/parse.ts";
import { compile } from "./scenario/compile.ts";
import type { Plan } from "./parts/plan.ts";
import { runPlan, type RunOptions, type RunResult } from "./run.ts";
import { runColumns } from "./parts/registry.ts";

// ---- scenarios: parse, compile, run ----------------------------------------------------------------

export { parseScenario, type ParseOptions } from "./scenario/parse.ts";
export type { Scenario } from "./scenario/schema.ts";
export { compile } from "./scenario/compile.ts";
export type { Plan } from "./parts/plan.ts";
export { runPlan, runPlanAsync, runPlanYielding, type RunOptions, type RunResult } from "./run.ts";
export type { TraceReader } from "./workload/trace.ts";
export { InputError } from "./errors.ts";
export { VERSION, NODE_MAJOR_MIN, unsupportedNode } from "./version.ts";

// ---- results: the column tables (names, units, meanings of every CSV column) ------------------------

export {
  TIMESERIES_COLUMNS,
  APP_TIMESERIES_COLUMNS,
  PERSISTENCE_TIMESERIES_COLUMNS,
  SUMMARY_COLUMNS,
  STEADY_SUMMARY_COLUMNS,
  APP_STEADY_SUMMARY_COLUMNS,
  APP_SUMMARY_COLUMNS,
  PERSISTENCE_SUMMARY_COLUMNS,
  CLASS_COLUMNS,
  HERD_COLUMNS,
  timeseriesColumns,
  summaryColumns,
  type Column,
  type Summary,
} from "./metrics/columns.ts";
/** The columns and summary fields of a run of a plan, from its parts (parts/registry.ts): the CSV headers. */
export { runColumns, runSummaryColumns, PART_KINDS, type PartKind } from "./parts/registry.ts";

// ---- the model's pieces the notebooks take apart ----------------------------------------------------

export { Sim } from "./core/sim.ts";
export { Rng, Streams } from "./core/random.ts";
export { US_PER_S } from "./core/time.ts";
export { DEFAULT_REDIS_CONFIG, type RedisConfig } from "./redis/config.ts";
export { RedisServer } from "./redis/server.ts";
export { lfuDecrAndReturn, lfuLogIncr, LFU_COUNTER_MAX, LFU_INIT_VAL } from "./redis/lfu.ts";
export { estimateObjectIdleTime } from "./redis/lru.ts";
export { MemoryModel, stringEncoding } from "./redis/memory.ts";
export { POLICY_NAMES, REDIS_POLICY_NAMES, type PolicyName } from "./redis/policies.ts";

// ---- runScenario: parse + compile + run in one call ------------------------------------------------

/** A timeseries row keyed by column name (a line of timeseries.csv). */
export type TimeseriesRow = Record<string, number>;

/** One stampede (a line of herds.csv): the DB queries of one key's miss cycle, two or more. */
export interface HerdRow {
  start_s: number;
  end_s: number;
  class: string;
  key: string;
  size: number;
  cause: string;
}

export interface RunScenarioOptions extends Omit<RunOptions, "name" | "onRow" | "onHerd" | "source" | "pause"> {
  /** Overrides as `sim run --set` takes them: ["duration=10m", "redis.maxmemory=8mb"]. */
  set?: readonly string[];
  /** The scenario's name, for the summary and messages (default "scenario"). */
  name?: string;
  /** Keep the rows (default true); false for long runs where only the summary matters. */
  rows?: boolean;
}

export interface ScenarioRun {
  /** The compiled plan that ran. */
  plan: Plan;
  /** The timeseries column names, in order (timeseries.csv's header). */
  columns: string[];
  /** Timeseries rows keyed by column name (timeseries.csv). */
  rows: TimeseriesRow[];
  /** With a database section: every herd of two or more queries (herds.csv). */
  herds: HerdRow[];
  /** The summary (summary.csv). */
  summary: Summary;
  /** With a database section: one object per key class (classes.csv); else empty. */
  classes: Record<string, string | number>[];
  /** The server after the run, for inspecting its keyspace. */
  server: RedisServer;
  /** Application requests simulated. */
  requests: number;
  /** runPlan's result as it came (classes as arrays in CLASS_COLUMNS order, the app model). */
  result: RunResult;
}

/**
 * Parses scenario YAML text with `--set`-style overrides, compiles and runs it (a generated workload;
 * a trace needs a reader: compile, then runPlanAsync). Throws InputError with the CLI's one-line
 * messages on bad input. No files, no clock: the same text and overrides give the same figures as
 * `sim run` (its summary.csv, timeseries.csv, herds.csv and classes.csv).
 */
export function runScenario(yaml: string, opts: RunScenarioOptions = {}): ScenarioRun {
  const { set = [], name = "scenario", rows: keepRows = true, ...runOpts } = opts;
  const plan = compile(parseScenario(yaml, { file: name, set: [...set] }));
  const columns = runColumns(plan).map((c) => c.name as string);
  const rows: TimeseriesRow[] = [];
  const herds: HerdRow[] = [];
  const classNames = plan.workload.classes.map((c) => c.name);
  const result = runPlan(plan, {
    ...runOpts,
    name,
    onRow: keepRows
      ? (r) => {
          const o: TimeseriesRow = {};
          columns.forEach((c, i) => (o[c] = r[i]));
          rows.push(o);
        }
      : undefined,
    onHerd: (h, key) => {
      if (h.size >= 2) herds.push({ start_s: h.startUs / US_PER_S, end_s: h.endUs / US_PER_S, class: classNames[h.cls], key, size: h.size, cause: h.cause });
    },
  });
  const classes = (result.classes ?? []).map((r) => Object.fromEntries(CLASS_COLUMNS.map((c, i) => [c.name, r[i]])));
  return { plan, columns, rows, herds, summary: result.summary, classes, server: result.server, requests: Number(result.summary.requests), result };
}
