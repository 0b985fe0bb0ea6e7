/// <reference lib="dom" />
import * as Plot from "@observablehq/plot";
import { fmtDuration, fmtMiB, fmtSI, MIB } from "./format.ts";
import { axisMax, C, frame, logDomain, type ChartSpec, type LegendItem, type Panel } from "./frame.ts";
import { asSteps, decimate, maxY, timeUnit, type Point, type Row, type TimeUnit } from "./series.ts";

/*
 * The per-run charts: timeseries rows (one object per row, keyed by column name, numbers; an empty cell
 * is NaN) plus a few summary figures in, a list of standalone SVG documents out, one builder per chart.
 * Pure: no file system, no clock, no global DOM; the `document` Plot builds its elements with is a
 * parameter (a jsdom document in Node, `window.document` in a browser).
 *
 * Each chart is one 800×400 SVG laid out by the shared frame (frame.ts: title, a one-line subtitle with
 * scenario, policy and maxmemory, legend, one or two Plot panels); the rows become series with
 * series.ts, and figures are written with format.ts.
 *
 * Units: memory in MiB (2^20 bytes, which is what Redis means by `100mb`), time in s, min or h depending
 * on the run's length, rates per second, latencies in ms.
 */

/** The summary figures the charts use. */
export interface RunInfo {
  /** scenario name */
  scenario: string;
  /** maxmemory-policy */
  policy: string;
  /** maxmemory in bytes; 0 = no limit */
  maxmemory: number;
  /** simulated time in s (default: the last row's time_s) */
  durationS?: number;
  /** simulated time of the first OOM rejection in s (summary.csv's first_oom_s; NaN or absent = none) */
  firstOomS?: number;
  /** the whole run's hit ratio (0–1) */
  hitRatio?: number;
  /** the steady state (summary.csv): the end of the warm-up (s), the hit ratio after it and its 95 % half-width */
  warmupS?: number;
  steadyHitRatio?: number;
  steadyHitRatioCi?: number;
  /** database connections, min(app instances × pool, max-connections) */
  dbConnections?: number;
}

export interface ChartOptions {
  /** the timeseries header (default: the first row's keys): decides which optional charts are drawn */
  columns?: readonly string[];
  /** width and height of each chart in px */
  width?: number;
  height?: number;
}

/* ------------------------------------------------------------------------------------------------ */
/* The chart list                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

/** Builds every chart the columns allow, in a fixed order. */
export function buildCharts(rows: readonly Row[], info: RunInfo, document: Document, options: ChartOptions = {}): ChartSpec[] {
  return chartBuilders(rows, info, document, options).map((build) => build());
}

/** The run's charts as one function each, so that a caller can build them one at a time (and pause between). */
export function chartBuilders(rows: readonly Row[], info: RunInfo, document: Document, options: ChartOptions = {}): (() => ChartSpec)[] {
  const { columns = rows.length > 0 ? Object.keys(rows[0]) : [], width = 800, height = 400 } = options;
  const has = (c: string) => columns.includes(c);
  const ctx = context(rows, info, document, width, height);
  const charts: (() => ChartSpec)[] = [() => memoryChart(ctx), () => hitRatioChart(ctx), () => evictionsChart(ctx), () => keysChart(ctx)];
  if (["db_queries_per_sec", "db_in_flight_peak", "db_queue_peak"].some(has)) charts.push(() => databaseChart(ctx, has));
  if (["latency_p50_ms", "latency_p99_ms", "latency_p999_ms"].some(has)) charts.push(() => latencyChart(ctx, has));
  if (["rdb_bgsave_in_progress", "cow_bytes", "rss_bytes"].some(has)) charts.push(() => forkChart(ctx, has));
  if (["fsync_p99_ms", "write_latency_p99_ms"].some(has)) charts.push(() => fsyncChart(ctx, has));
  return charts;
}

/* ------------------------------------------------------------------------------------------------ */
/* Shared context: time axis, subtitle                                                              */
/* ------------------------------------------------------------------------------------------------ */

interface Ctx {
  rows: readonly Row[];
  info: RunInfo;
  document: Document;
  width: number;
  height: number;
  unit: TimeUnit;
  /** x domain in the chosen unit */
  xMax: number;
  /** every row's time in the chosen unit */
  t: number[];
  subtitle: string;
}

function context(rows: readonly Row[], info: RunInfo, document: Document, width: number, height: number): Ctx {
  const last = rows.length > 0 ? rows[rows.length - 1].time_s : 0;
  const duration = info.durationS !== undefined && Number.isFinite(info.durationS) && info.durationS > 0 ? info.durationS : last > 0 ? last : 1;
  const unit = timeUnit(duration);
  const limit = info.maxmemory > 0 ? `maxmemory ${fmtMiB(info.maxmemory)}` : "no maxmemory";
  return {
    rows,
    info,
    document,
    width,
    height,
    unit,
    xMax: duration / unit.seconds,
    t: rows.map((r) => r.time_s / unit.seconds),
    subtitle: `${info.scenario} · ${info.policy} · ${limit} · ${fmtDuration(duration)} simulated`,
  };
}

/* ------------------------------------------------------------------------------------------------ */
/* Series helpers                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

/** One column as points (x in the chart's time unit), scaled by `f`; NaN cells stay NaN (a gap). */
function points(ctx: Ctx, column: string, f: (v: number) => number = (v) => v): Point[] {
  const out: Point[] = ctx.rows.map((r, i) => {
    const v = r[column];
    return { x: ctx.t[i], y: v === undefined || Number.isNaN(v) ? NaN : f(v) };
  });
  return decimate(out);
}

/**
 * A per-interval column (a rate, a ratio, a peak or a percentile over the interval that ends at the row's
 * time): drawn as steps, each value held over its interval (t_prev, t], so the first interval starts at 0.
 */
function perInterval(ctx: Ctx, column: string, f?: (v: number) => number): Point[] {
  return asSteps(points(ctx, column, f));
}

/** The intervals (start, end] of the rows where `test` holds, merged when adjacent, in the time unit. */
function spans(ctx: Ctx, test: (r: Row) => boolean): { x1: number; x2: number }[] {
  const out: { x1: number; x2: number }[] = [];
  for (let i = 0; i < ctx.rows.length; i++) {
    if (!test(ctx.rows[i])) continue;
    const x1 = i === 0 ? 0 : ctx.t[i - 1];
    const x2 = ctx.t[i];
    const prev = out[out.length - 1];
    if (prev && prev.x2 === x1) prev.x2 = x2;
    else out.push({ x1, x2 });
  }
  return out;
}

interface Series {
  label: string;
  color: string;
  dash?: string;
  /** a wide translucent line, for a series that others may be drawn over */
  wide?: boolean;
  /** per-interval values: steps (see perInterval) */
  step?: boolean;
  data: Point[];
}

function lineMarks(series: Series[]): Plot.Markish[] {
  return series.map((s) =>
    Plot.line(s.data, {
      x: "x",
      y: "y",
      stroke: s.color,
      strokeWidth: s.wide ? 4 : 1.5,
      strokeOpacity: s.wide ? 0.55 : 1,
      strokeDasharray: s.dash,
      curve: s.step ? "step-before" : "linear",
      ariaDescription: s.label,
    }),
  );
}

function legendOf(series: Series[]): LegendItem[] {
  return series.map((s) => ({ kind: "line", label: s.label, color: s.color, dash: s.dash, wide: s.wide }));
}

/* ------------------------------------------------------------------------------------------------ */
/* The charts                                                                                       */
/* ------------------------------------------------------------------------------------------------ */

function memoryChart(ctx: Ctx): ChartSpec {
  const used = points(ctx, "used_memory", (v) => v / MIB);
  const limit = ctx.info.maxmemory > 0 ? points(ctx, "maxmemory", (v) => v / MIB) : [];
  const series: Series[] = [{ label: "used_memory", color: C.blue, data: used }];
  if (limit.length > 0) series.push({ label: "maxmemory", color: C.red, dash: "5,3", data: limit });
  const evicting = spans(ctx, (r) => r.evicted_per_sec > 0);
  const oom = firstOom(ctx);
  const legend: LegendItem[] = series.map((s) => ({ kind: "line", label: s.label, color: s.color, dash: s.dash }));
  if (evicting.length > 0) legend.push({ kind: "band", label: "evicting (evicted_per_sec > 0)", color: C.orange });
  if (oom !== undefined) legend.push({ kind: "rule", label: "first OOM rejection", color: C.red });
  const marks: Plot.Markish[] = [
    bands(evicting, C.orange),
    Plot.ruleY([0]),
    ...lineMarks(series),
    oom === undefined ? null : marker(ctx, oom, `first OOM at ${fmtDuration(oom * ctx.unit.seconds)}`, C.red),
  ];
  const title = ctx.info.maxmemory > 0 ? "Memory: used_memory against maxmemory" : "Memory: used_memory";
  return chart(ctx, "memory", title, legend, [
    // headroom above maxmemory for the OOM label
    { marks, y: { label: "memory (MiB)", domain: [0, Math.max(maxY([used, limit]) * (oom === undefined ? 1.05 : 1.15), 1e-3)] } },
  ]);
}

/** The first OOM rejection in the chart's time unit: summary.csv's first_oom_s, else the first row whose counter rose. */
function firstOom(ctx: Ctx): number | undefined {
  const s = ctx.info.firstOomS;
  if (s !== undefined && Number.isFinite(s)) return s / ctx.unit.seconds;
  let prev = 0;
  for (let i = 0; i < ctx.rows.length; i++) {
    const v = ctx.rows[i].oom_rejected_writes;
    if (v > prev) return ctx.t[i];
    if (Number.isFinite(v)) prev = v;
  }
  return undefined;
}

function hitRatioChart(ctx: Ctx): ChartSpec {
  const series: Series[] = [{ label: "hit ratio per interval", color: C.blue, step: true, data: perInterval(ctx, "hit_ratio", (v) => v * 100) }];
  const overall = ctx.info.hitRatio;
  const legend: LegendItem[] = [{ kind: "line", label: series[0].label, color: C.blue }];
  const marks: Plot.Markish[] = [Plot.ruleY([0]), ...lineMarks(series)];
  if (overall !== undefined && Number.isFinite(overall)) {
    legend.push({ kind: "line", label: `whole run: ${+(overall * 100).toFixed(1)} %`, color: C.gray, dash: "5,3" });
    marks.unshift(Plot.ruleY([overall * 100], { stroke: C.gray, strokeDasharray: "5,3" }));
  }
  // the steady state: its hit ratio ± the 95 % interval as a band from the end of the warm-up
  const { warmupS, steadyHitRatio: shr, steadyHitRatioCi: ci } = ctx.info;
  if (warmupS !== undefined && Number.isFinite(warmupS) && shr !== undefined && Number.isFinite(shr)) {
    const x1 = warmupS / ctx.unit.seconds, x2 = ctx.xMax;
    const half = ci !== undefined && Number.isFinite(ci) ? ci : 0;
    marks.unshift(
      Plot.rect([{ x1, x2, y1: (shr - half) * 100, y2: (shr + half) * 100 }], { x1: "x1", x2: "x2", y1: "y1", y2: "y2", fill: C.green, fillOpacity: 0.25 }),
      Plot.ruleY([shr * 100], { x1, x2, stroke: C.green, strokeWidth: 1.5 }),
    );
    if (x1 > 0) marks.push(marker(ctx, x1, `warm-up ends at ${fmtDuration(warmupS)}`, C.green));
    legend.push({ kind: "line", label: `steady state: ${(shr * 100).toFixed(half > 0 && half < 0.001 ? 2 : 1)} %${half > 0 ? ` ± ${+(half * 100).toPrecision(2)} (95 %)` : ""}`, color: C.green });
  }
  return chart(ctx, "hit-ratio", "Hit ratio: keyspace hits / (hits + misses)", legend, [
    { marks, y: { label: "hit ratio (%)", domain: [0, 100] } },
  ]);
}

function evictionsChart(ctx: Ctx): ChartSpec {
  const series: Series[] = [
    { label: "evicted_per_sec", color: C.orange, step: true, data: perInterval(ctx, "evicted_per_sec") },
    { label: "expired_per_sec", color: C.teal, step: true, data: perInterval(ctx, "expired_per_sec") },
  ];
  return chart(ctx, "evictions-expirations", "Evictions and expirations", legendOf(series), [
    { marks: [Plot.ruleY([0]), ...lineMarks(series)], y: { label: "keys/s", domain: [0, axisMax(maxY(series.map((s) => s.data)))], nice: true, tickFormat: fmtSI } },
  ]);
}

function keysChart(ctx: Ctx): ChartSpec {
  const series: Series[] = [
    { label: "keys", color: C.blue, data: points(ctx, "keys") },
    { label: "keys with a TTL (expires)", color: C.purple, data: points(ctx, "expires") },
  ];
  return chart(ctx, "keys", "Keys and keys with a TTL", legendOf(series), [
    { marks: [Plot.ruleY([0]), ...lineMarks(series)], y: { label: "keys", domain: [0, axisMax(maxY(series.map((s) => s.data)))], nice: true, tickFormat: fmtSI } },
  ]);
}

function databaseChart(ctx: Ctx, has: (c: string) => boolean): ChartSpec {
  const rate: Series[] = has("db_queries_per_sec") ? [{ label: "queries started/s", color: C.blue, step: true, data: perInterval(ctx, "db_queries_per_sec") }] : [];
  const peaks: Series[] = [];
  if (has("db_in_flight_peak")) peaks.push({ label: "peak queries in flight", color: C.orange, wide: true, step: true, data: perInterval(ctx, "db_in_flight_peak") });
  if (has("db_queue_peak")) peaks.push({ label: "peak wait queue", color: C.red, step: true, data: perInterval(ctx, "db_queue_peak") });
  const conns = ctx.info.dbConnections;
  const legend = legendOf([...rate, ...peaks]);
  const peakMarks: Plot.Markish[] = [Plot.ruleY([0]), ...lineMarks(peaks)];
  let peakMax = maxY(peaks.map((s) => s.data));
  if (conns !== undefined && Number.isFinite(conns) && conns > 0 && peaks.length > 0) {
    legend.push({ kind: "line", label: `connections (${conns})`, color: C.gray, dash: "5,3" });
    peakMarks.unshift(Plot.ruleY([conns], { stroke: C.gray, strokeDasharray: "5,3" }));
    peakMax = Math.max(peakMax, conns);
  }
  const panels: Panel[] = [];
  if (rate.length > 0)
    panels.push({ marks: [Plot.ruleY([0]), ...lineMarks(rate)], y: { label: "queries/s", domain: [0, axisMax(maxY([rate[0].data]))], nice: true, tickFormat: fmtSI } });
  if (peaks.length > 0) panels.push({ marks: peakMarks, y: { label: "queries", domain: [0, axisMax(peakMax)], nice: true, tickFormat: fmtSI } });
  return chart(ctx, "database", "Database load: queries started, in flight and waiting", legend, panels);
}

function latencyChart(ctx: Ctx, has: (c: string) => boolean): ChartSpec {
  const positive = (v: number) => (v > 0 ? v : NaN); // a log axis has no 0
  const series: Series[] = [];
  if (has("latency_p50_ms")) series.push({ label: "p50", color: C.blue, step: true, data: perInterval(ctx, "latency_p50_ms", positive) });
  if (has("latency_p99_ms")) series.push({ label: "p99", color: C.orange, step: true, data: perInterval(ctx, "latency_p99_ms", positive) });
  if (has("latency_p999_ms")) series.push({ label: "p99.9", color: C.red, step: true, data: perInterval(ctx, "latency_p999_ms", positive) });
  const domain = logDomain(series.flatMap((s) => s.data.map((p) => p.y)));
  return chart(ctx, "latency", "Application latency per interval (end to end)", legendOf(series), [
    { marks: lineMarks(series), y: { label: "latency (ms, log scale)", type: "log", domain, tickFormat: "~g" } },
  ]);
}

function forkChart(ctx: Ctx, has: (c: string) => boolean): ChartSpec {
  const mib = (v: number) => v / MIB;
  const series: Series[] = [];
  if (has("used_memory")) series.push({ label: "used_memory", color: C.blue, data: points(ctx, "used_memory", mib) });
  if (has("rss_bytes")) series.push({ label: "RSS", color: C.purple, data: points(ctx, "rss_bytes", mib) });
  if (has("cow_bytes")) series.push({ label: "copy-on-write", color: C.orange, data: points(ctx, "cow_bytes", mib) });
  const limit = ctx.info.maxmemory > 0 && has("maxmemory") ? points(ctx, "maxmemory", mib) : [];
  if (limit.length > 0) series.push({ label: "maxmemory", color: C.red, dash: "5,3", data: limit });
  const saving = has("rdb_bgsave_in_progress") ? spans(ctx, (r) => r.rdb_bgsave_in_progress > 0) : [];
  const legend = legendOf(series);
  if (saving.length > 0) legend.push({ kind: "band", label: "BGSAVE in progress", color: C.gray });
  return chart(ctx, "persistence-memory", "Fork, copy-on-write and RSS", legend, [
    {
      marks: [bands(saving, C.gray), Plot.ruleY([0]), ...lineMarks(series)],
      y: { label: "memory (MiB)", domain: [0, Math.max(maxY(series.map((s) => s.data)) * 1.05, 1e-3)] },
    },
  ]);
}

function fsyncChart(ctx: Ctx, has: (c: string) => boolean): ChartSpec {
  const series: Series[] = [];
  if (has("fsync_p99_ms")) series.push({ label: "fsync p99", color: C.teal, step: true, data: perInterval(ctx, "fsync_p99_ms") });
  if (has("write_latency_p99_ms")) series.push({ label: "write latency p99", color: C.red, step: true, data: perInterval(ctx, "write_latency_p99_ms") });
  return chart(ctx, "persistence-latency", "fsync and write latency", legendOf(series), [
    { marks: [Plot.ruleY([0]), ...lineMarks(series)], y: { label: "latency (ms)", domain: [0, axisMax(maxY(series.map((s) => s.data)))], nice: true } },
  ]);
}

/** Full-height shaded spans (subtle), e.g. the intervals with evictions. */
function bands(s: { x1: number; x2: number }[], color: string): Plot.Markish {
  return s.length === 0 ? null : Plot.rect(s, { x1: "x1", x2: "x2", fill: color, fillOpacity: 0.14 });
}

/** A vertical rule at x with a label at the top, on the side with more room. */
function marker(ctx: Ctx, x: number, label: string, color: string): Plot.Markish {
  const right = x < ctx.xMax * 0.6;
  return [
    Plot.ruleX([x], { stroke: color, strokeWidth: 1.5 }),
    Plot.text([x], {
      x: (d: number) => d,
      frameAnchor: "top",
      text: () => label,
      textAnchor: right ? "start" : "end",
      dx: right ? 5 : -5,
      dy: 4,
      fill: color,
      stroke: "white",
      strokeWidth: 3,
      paintOrder: "stroke",
      fontWeight: "bold",
    }),
  ];
}

function chart(ctx: Ctx, id: string, title: string, legend: LegendItem[], panels: Panel[]): ChartSpec {
  return frame({
    document: ctx.document,
    width: ctx.width,
    height: ctx.height,
    id,
    title,
    subtitle: ctx.subtitle,
    legend,
    x: { label: ctx.unit.label, domain: [0, ctx.xMax], grid: true },
    panels,
  });
}
