/// <reference lib="dom" />
import * as Plot from "@observablehq/plot";
import { APP_TIMESERIES_COLUMNS, PERSISTENCE_TIMESERIES_COLUMNS, TIMESERIES_COLUMNS, type Column } from "../metrics/columns.ts";
import type { RunInfo } from "./charts.ts";
import { fmtDuration, fmtMiB, fmtSI, MIB } from "./format.ts";
import { axisMax, C, categoricalColor, categoricalDash, frame, logDomain, textWidth, type ChartSpec, type LegendItem, type Panel } from "./frame.ts";
import { asSteps, decimate, maxY, timeUnit, type Point, type Row } from "./series.ts";

/*
 * Runs overlaid (sim compare): several runs' timeseries in, one chart per quantity out, each run one colour
 * labelled by its name (the run directory's name), laid out by the shared frame (frame.ts). Pure like
 * charts.ts: the `document` Plot builds its elements with is a parameter, and the same runs give
 * byte-identical SVGs.
 *
 * The default charts: used memory against maxmemory, hit ratio, evictions/s; and latency p99, database
 * queries/s and copy-on-write when every run has those columns. `metrics` replaces them with one chart
 * per named timeseries column. Per-interval columns (rates, ratios, peaks, percentiles) are drawn as steps
 * held over their interval, as in the run charts; the others as lines through the rows.
 */

export interface CompareRun {
  /** the label: the run directory's name */
  name: string;
  rows: readonly Row[];
  /** timeseries.csv's header */
  columns: readonly string[];
  info: RunInfo;
}

export interface CompareOptions {
  /** timeseries columns to overlay, one chart each, instead of the default charts */
  metrics?: readonly string[];
  width?: number;
  height?: number;
}

export const TIMESERIES_BY_NAME = new Map<string, Column>(
  [...TIMESERIES_COLUMNS, ...APP_TIMESERIES_COLUMNS, ...PERSISTENCE_TIMESERIES_COLUMNS].map((c) => [c.name, c as Column]),
);

/** Columns whose value belongs to the interval that ends at the row (drawn as steps). */
const PER_INTERVAL = new Set([
  "requests", "ops_per_sec", "hit_ratio", "evicted_per_sec", "expired_per_sec", "app_completed", "latency_p50_ms", "latency_p99_ms",
  "latency_p999_ms", "latency_max_ms", "db_queries", "db_queries_per_sec", "db_in_flight_peak", "db_active_peak", "db_queue_peak",
  "db_utilisation", "herd_max", "fork_ms", "fsync_p99_ms", "write_latency_p99_ms",
]);

/** The charts for runs, in a fixed order. */
export function buildCompareCharts(runs: readonly CompareRun[], document: Document, options: CompareOptions = {}): ChartSpec[] {
  const { width = 800, height = 400 } = options;
  const ctx = context(runs, document, width, height);
  if (options.metrics && options.metrics.length > 0) return options.metrics.map((m) => metricChart(ctx, m));
  const all = (c: string) => runs.every((r) => r.columns.includes(c));
  const charts = [memoryChart(ctx), hitRatioChart(ctx), evictionsChart(ctx)];
  if (all("latency_p99_ms")) charts.push(latencyChart(ctx));
  if (all("db_queries_per_sec")) charts.push(metricChart(ctx, "db_queries_per_sec", { id: "db-queries", title: "Database queries started per second" }));
  if (all("cow_bytes")) charts.push(metricChart(ctx, "cow_bytes", { id: "cow", title: "Copy-on-write memory of the fork child" }));
  return charts;
}

/* ------------------------------------------------------------------------------------------------ */
/* Context: time axis, colours, subtitle                                                              */
/* ------------------------------------------------------------------------------------------------ */

interface Ctx {
  runs: readonly CompareRun[];
  document: Document;
  width: number;
  height: number;
  unitS: number;
  xLabel: string;
  xMax: number;
  subtitle: string;
  color: (i: number) => string;
  dash: (i: number) => string | undefined;
}

function context(runs: readonly CompareRun[], document: Document, width: number, height: number): Ctx {
  const durations = runs.map((r) => {
    const d = r.info.durationS;
    const last = r.rows.length > 0 ? r.rows[r.rows.length - 1].time_s : 0;
    return d !== undefined && Number.isFinite(d) && d > 0 ? d : last > 0 ? last : 1;
  });
  const longest = Math.max(1, ...durations);
  const unit = timeUnit(longest);
  const each = runs.map((r) => `${r.name}: ${r.info.policy || "?"}, ${r.info.maxmemory > 0 ? fmtMiB(r.info.maxmemory) : "no maxmemory"}`).join(" · ");
  const short = `${runs.length} runs · ${fmtDuration(longest)} simulated (the longest)`;
  return {
    runs,
    document,
    width,
    height,
    unitS: unit.seconds,
    xLabel: unit.label,
    xMax: longest / unit.seconds,
    subtitle: textWidth(each) < width - 40 ? each : short,
    color: categoricalColor,
    dash: categoricalDash,
  };
}

/** A run's column as points in the chart's time unit (NaN for a missing or empty cell: a gap). */
function points(ctx: Ctx, run: CompareRun, column: string, f: (v: number) => number, step: boolean): Point[] {
  const p = decimate(
    run.rows.map((r) => {
      const v = r[column];
      return { x: r.time_s / ctx.unitS, y: v === undefined || Number.isNaN(v) ? NaN : f(v) };
    }),
  );
  // each value held over its interval (t_prev, t]
  return step ? asSteps(p) : p;
}

function runLines(ctx: Ctx, series: Point[][], step: boolean): Plot.Markish[] {
  return series.map((data, i) =>
    Plot.line(data, {
      x: "x",
      y: "y",
      stroke: ctx.color(i),
      strokeWidth: 1.5,
      strokeDasharray: ctx.dash(i),
      curve: step ? "step-before" : "linear",
      ariaDescription: ctx.runs[i].name,
    }),
  );
}

function runLegend(ctx: Ctx, label: (run: CompareRun) => string = (r) => r.name): LegendItem[] {
  return ctx.runs.map((r, i) => ({ kind: "line", label: label(r), color: ctx.color(i), dash: ctx.dash(i) }));
}

function chart(ctx: Ctx, id: string, title: string, legend: LegendItem[], panel: Panel): ChartSpec {
  return frame({
    document: ctx.document,
    width: ctx.width,
    height: ctx.height,
    id,
    title,
    subtitle: ctx.subtitle,
    legend,
    wrapLegend: true,
    x: { label: ctx.xLabel, domain: [0, ctx.xMax], grid: true },
    panels: [panel],
  });
}

/* ------------------------------------------------------------------------------------------------ */
/* The charts                                                                                         */
/* ------------------------------------------------------------------------------------------------ */

function memoryChart(ctx: Ctx): ChartSpec {
  const mib = (v: number) => v / MIB;
  const used = ctx.runs.map((r) => points(ctx, r, "used_memory", mib, false));
  const limits = ctx.runs.map((r) => r.info.maxmemory);
  const same = limits.every((l) => l === limits[0]);
  const legend = runLegend(ctx);
  const marks: Plot.Markish[] = [Plot.ruleY([0]), ...runLines(ctx, used, false)];
  let top = maxY(used);
  if (same && limits[0] > 0) {
    // one limit for all: one grey line
    marks.splice(1, 0, Plot.ruleY([limits[0] / MIB], { stroke: C.gray, strokeDasharray: "5,3", strokeWidth: 1.5 }));
    legend.push({ kind: "line", label: `maxmemory ${fmtMiB(limits[0])} (every run)`, color: C.gray, dash: "5,3" });
    top = Math.max(top, limits[0] / MIB);
  } else if (limits.some((l) => l > 0)) {
    // each run's limit, dashed in its colour
    ctx.runs.forEach((r, i) => {
      if (r.info.maxmemory <= 0) return;
      marks.splice(1, 0, Plot.ruleY([r.info.maxmemory / MIB], { stroke: ctx.color(i), strokeDasharray: "5,3", strokeOpacity: 0.8 }));
      top = Math.max(top, r.info.maxmemory / MIB);
    });
    legend.push({ kind: "line", label: "maxmemory (dashed, in the run's colour)", color: C.gray, dash: "5,3" });
  }
  return chart(ctx, "memory", "Memory: used_memory against maxmemory", legend, {
    marks,
    y: { label: "memory (MiB)", domain: [0, Math.max(top * 1.05, 1e-3)] },
  });
}

function hitRatioChart(ctx: Ctx): ChartSpec {
  const series = ctx.runs.map((r) => points(ctx, r, "hit_ratio", (v) => v * 100, true));
  const legend = runLegend(ctx, (r) => {
    const h = r.info.hitRatio;
    return h !== undefined && Number.isFinite(h) ? `${r.name} (whole run ${+(h * 100).toFixed(1)} %)` : r.name;
  });
  return chart(ctx, "hit-ratio", "Hit ratio per interval: keyspace hits / (hits + misses)", legend, {
    marks: [Plot.ruleY([0]), ...runLines(ctx, series, true)],
    y: { label: "hit ratio (%)", domain: [0, 100] },
  });
}

function evictionsChart(ctx: Ctx): ChartSpec {
  const series = ctx.runs.map((r) => points(ctx, r, "evicted_per_sec", (v) => v, true));
  const max = maxY(series);
  return chart(ctx, "evictions", "Evictions per second", runLegend(ctx), {
    marks: [Plot.ruleY([0]), ...runLines(ctx, series, true)],
    y: { label: "evicted keys/s", domain: [0, axisMax(max)], nice: true, tickFormat: fmtSI },
  });
}

function latencyChart(ctx: Ctx): ChartSpec {
  const positive = (v: number) => (v > 0 ? v : NaN); // a log axis has no 0
  const series = ctx.runs.map((r) => points(ctx, r, "latency_p99_ms", positive, true));
  const domain = logDomain(series.flatMap((s) => s.map((p) => p.y)));
  return chart(ctx, "latency-p99", "Application latency p99 per interval (end to end)", runLegend(ctx), {
    marks: runLines(ctx, series, true),
    y: { label: "latency p99 (ms, log scale)", type: "log", domain, tickFormat: "~g" },
  });
}

/** One timeseries column, overlaid: bytes in MiB, ratios in %, other units as columns.ts gives them. */
function metricChart(ctx: Ctx, column: string, names: { id?: string; title?: string } = {}): ChartSpec {
  const unit = TIMESERIES_BY_NAME.get(column)?.unit ?? "";
  const [f, label]: [(v: number) => number, string] =
    unit === "bytes" ? [(v) => v / MIB, `${column} (MiB)`] : unit === "ratio" ? [(v) => v * 100, `${column} (%)`] : [(v) => v, unit && unit !== "count" ? `${column} (${unit})` : column];
  const step = PER_INTERVAL.has(column);
  const series = ctx.runs.map((r) => points(ctx, r, column, f, step));
  const max = maxY(series);
  const min = Math.min(0, ...series.flatMap((s) => s.map((p) => p.y)).filter(Number.isFinite));
  return chart(ctx, names.id ?? `metric-${column}`, names.title ?? `${column} per run`, runLegend(ctx), {
    marks: [Plot.ruleY([0]), ...runLines(ctx, series, step)],
    y: { label, domain: [min, axisMax(max)], nice: true, tickFormat: fmtSI },
  });
}
