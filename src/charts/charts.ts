/// <reference lib="dom" />
import * as Plot from "@observablehq/plot";

/*
 * The per-run charts: timeseries rows (one object per row, keyed by column name, numbers; an empty cell
 * is NaN) plus a few summary figures in, a list of standalone SVG documents out. Pure: no file system,
 * no clock, no global DOM; the `document` Plot builds its elements with is a parameter (a jsdom
 * document in Node, `window.document` in a browser).
 *
 * Each chart is one 800×400 SVG: a title, a one-line subtitle (scenario, policy, maxmemory), a legend
 * drawn here (Plot's swatch legends are HTML, not SVG), and one or two Plot panels nested below them.
 * The output is deterministic: Plot's class name is fixed, its generated ids are renumbered per chart,
 * and every number with more than two decimals is rounded to two (snapshots stay stable).
 *
 * Units: memory in MiB (2^20 bytes, which is what Redis means by `100mb`), time in s, min or h depending
 * on the run's length, rates per second, latencies in ms.
 */

/** One timeseries row: column name → value (NaN for an empty cell). */
export type Row = Readonly<Record<string, number>>;

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

export interface ChartSpec {
  /** file name stem: charts/<id>.svg */
  id: string;
  title: string;
  /** a standalone SVG document */
  svg: string;
}

export interface ChartOptions {
  /** the timeseries header (default: the first row's keys): decides which optional charts are drawn */
  columns?: readonly string[];
  /** width and height of each chart in px */
  width?: number;
  height?: number;
}

/* ------------------------------------------------------------------------------------------------ */
/* Constants                                                                                          */
/* ------------------------------------------------------------------------------------------------ */

export const MIB = 2 ** 20; // bytes; Redis's "mb" is 2^20 bytes too
const FONT = "system-ui, sans-serif";
const FONT_SIZE = 11; // px, Plot's axes and our legend
/** Above this many rows a line is decimated to the min and max of each of MAX_POINTS / 2 buckets (+ gaps). */
const MAX_POINTS = 2000;

// Plot's default categorical scheme (Tableau 10), fixed here so each series keeps its colour everywhere.
export const C = {
  blue: "#4e79a7",
  orange: "#f28e2c",
  red: "#e15759",
  teal: "#76b7b2",
  green: "#59a14f",
  purple: "#af7aa1",
  brown: "#9c755f",
  gray: "#79706e",
};

/**
 * Colours for one series per category (a run, a policy): Tableau 10 with the pale yellow last, so the
 * first eight series stay well visible on white. Beyond ten, colours repeat (callers add a dash pattern).
 */
export const CATEGORICAL = [C.blue, C.orange, C.red, C.teal, C.green, C.purple, C.brown, "#ff9da7", C.gray, "#edc949"];

const HEADER_HEIGHT = 64; // px: title, subtitle and legend above the panels
const TITLE_X = 12; // px: title, subtitle and legend start here

/* ------------------------------------------------------------------------------------------------ */
/* The chart list                                                                                     */
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
/* Shared context: time axis, subtitle                                                                */
/* ------------------------------------------------------------------------------------------------ */

interface TimeUnit {
  seconds: number;
  label: string;
}

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

/** Seconds for runs up to 5 min, minutes up to 5 h, hours beyond. */
export function timeUnit(durationS: number): TimeUnit {
  if (durationS <= 300) return { seconds: 1, label: "time (s)" };
  if (durationS <= 5 * 3600) return { seconds: 60, label: "time (min)" };
  return { seconds: 3600, label: "time (h)" };
}

/** "42 s", "12 min 5 s", "6 h 53 min". */
import { fmtDuration, fmtMiB } from "../report/format.ts";
export { fmtDuration, fmtMiB };

/* ------------------------------------------------------------------------------------------------ */
/* Series helpers                                                                                     */
/* ------------------------------------------------------------------------------------------------ */

export interface Point {
  x: number;
  y: number;
}

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

/** Per-interval points as steps: a value after the start or after a gap gets its interval's start too. */
export function asSteps(p: Point[]): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < p.length; i++) {
    const start = i === 0 ? 0 : Number.isNaN(p[i - 1].y) ? p[i - 1].x : undefined;
    if (start !== undefined && !Number.isNaN(p[i].y) && start < p[i].x) out.push({ x: start, y: p[i].y });
    out.push(p[i]);
  }
  return out;
}

/**
 * Keeps a long series drawable: above MAX_POINTS points, each bucket of consecutive points is replaced by
 * its lowest and highest (in time order), so spikes survive; a bucket with a gap keeps the gap.
 */
export function decimate(p: Point[]): Point[] {
  if (p.length <= MAX_POINTS) return p;
  const size = Math.ceil(p.length / (MAX_POINTS / 2));
  const out: Point[] = [];
  for (let b = 0; b < p.length; b += size) {
    let lo = -1, hi = -1, gap = false;
    for (let i = b; i < Math.min(b + size, p.length); i++) {
      if (Number.isNaN(p[i].y)) { gap = true; continue; }
      if (lo < 0 || p[i].y < p[lo].y) lo = i;
      if (hi < 0 || p[i].y > p[hi].y) hi = i;
    }
    if (lo >= 0) {
      if (lo === hi) out.push(p[lo]);
      else out.push(...(lo < hi ? [p[lo], p[hi]] : [p[hi], p[lo]]));
    }
    if (gap) out.push({ x: p[Math.min(b + size, p.length) - 1].x, y: NaN });
  }
  return out;
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

function maxOf(...series: Point[][]): number {
  let m = 0;
  for (const s of series) for (const p of s) if (p.y > m) m = p.y;
  return m;
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

/** Axis ticks in SI prefixes: 0, 500, 1.5k, 20k, 3M. */
export function fmtSI(v: number): string {
  const a = Math.abs(v);
  const [d, p] = a >= 1e9 ? [1e9, "G"] : a >= 1e6 ? [1e6, "M"] : a >= 1e3 ? [1e3, "k"] : [1, ""];
  return `${+(v / d).toPrecision(3)}${p}`;
}

/* ------------------------------------------------------------------------------------------------ */
/* The charts                                                                                         */
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
    { marks, y: { label: "memory (MiB)", domain: [0, Math.max(maxOf(used, limit) * (oom === undefined ? 1.05 : 1.15), 1e-3)] } },
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
    { marks: [Plot.ruleY([0]), ...lineMarks(series)], y: { label: "keys/s", domain: [0, axisMax(maxOf(...series.map((s) => s.data)))], nice: true, tickFormat: fmtSI } },
  ]);
}

function keysChart(ctx: Ctx): ChartSpec {
  const series: Series[] = [
    { label: "keys", color: C.blue, data: points(ctx, "keys") },
    { label: "keys with a TTL (expires)", color: C.purple, data: points(ctx, "expires") },
  ];
  return chart(ctx, "keys", "Keys and keys with a TTL", legendOf(series), [
    { marks: [Plot.ruleY([0]), ...lineMarks(series)], y: { label: "keys", domain: [0, axisMax(maxOf(...series.map((s) => s.data)))], nice: true, tickFormat: fmtSI } },
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
  let peakMax = maxOf(...peaks.map((s) => s.data));
  if (conns !== undefined && Number.isFinite(conns) && conns > 0 && peaks.length > 0) {
    legend.push({ kind: "line", label: `connections (${conns})`, color: C.gray, dash: "5,3" });
    peakMarks.unshift(Plot.ruleY([conns], { stroke: C.gray, strokeDasharray: "5,3" }));
    peakMax = Math.max(peakMax, conns);
  }
  const panels: Panel[] = [];
  if (rate.length > 0)
    panels.push({ marks: [Plot.ruleY([0]), ...lineMarks(rate)], y: { label: "queries/s", domain: [0, axisMax(maxOf(rate[0].data))], nice: true, tickFormat: fmtSI } });
  if (peaks.length > 0) panels.push({ marks: peakMarks, y: { label: "queries", domain: [0, axisMax(peakMax)], nice: true, tickFormat: fmtSI } });
  return chart(ctx, "database", "Database load: queries started, in flight and waiting", legend, panels);
}

function latencyChart(ctx: Ctx, has: (c: string) => boolean): ChartSpec {
  const positive = (v: number) => (v > 0 ? v : NaN); // a log axis has no 0
  const series: Series[] = [];
  if (has("latency_p50_ms")) series.push({ label: "p50", color: C.blue, step: true, data: perInterval(ctx, "latency_p50_ms", positive) });
  if (has("latency_p99_ms")) series.push({ label: "p99", color: C.orange, step: true, data: perInterval(ctx, "latency_p99_ms", positive) });
  if (has("latency_p999_ms")) series.push({ label: "p99.9", color: C.red, step: true, data: perInterval(ctx, "latency_p999_ms", positive) });
  const all = series.flatMap((s) => s.data.map((p) => p.y)).filter((v) => v > 0);
  const lo = all.length > 0 ? Math.min(...all) : 0.1;
  const hi = all.length > 0 ? Math.max(...all) : 1;
  const domain: [number, number] = [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi) + 1e-9)];
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
      y: { label: "memory (MiB)", domain: [0, Math.max(maxOf(...series.map((s) => s.data)) * 1.05, 1e-3)] },
    },
  ]);
}

function fsyncChart(ctx: Ctx, has: (c: string) => boolean): ChartSpec {
  const series: Series[] = [];
  if (has("fsync_p99_ms")) series.push({ label: "fsync p99", color: C.teal, step: true, data: perInterval(ctx, "fsync_p99_ms") });
  if (has("write_latency_p99_ms")) series.push({ label: "write latency p99", color: C.red, step: true, data: perInterval(ctx, "write_latency_p99_ms") });
  return chart(ctx, "persistence-latency", "fsync and write latency", legendOf(series), [
    { marks: [Plot.ruleY([0]), ...lineMarks(series)], y: { label: "latency (ms)", domain: [0, axisMax(maxOf(...series.map((s) => s.data)))], nice: true } },
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

/** The top of a linear axis before Plot rounds it (`nice`): at least 1, so an all-zero series still gets an axis. */
function axisMax(m: number): number {
  return m > 0 ? m : 1;
}

/* ------------------------------------------------------------------------------------------------ */
/* Layout: title, subtitle, legend, panels                                                            */
/* ------------------------------------------------------------------------------------------------ */

export interface LegendItem {
  /** line: a stroke; band: a translucent rect; rule: a vertical tick; swatch: a solid rect (bars) */
  kind: "line" | "band" | "rule" | "swatch";
  label: string;
  color: string;
  dash?: string;
  wide?: boolean;
}

export interface Panel {
  marks: Plot.Markish[];
  y: Plot.ScaleOptions;
  /** this panel's x scale instead of the chart's (e.g. axis: null under facets) */
  x?: Plot.ScaleOptions;
  /** horizontal facets (grouped bars); as for x, the axis is drawn under the last panel only */
  fx?: Plot.ScaleOptions;
  /** the colour scale, for marks with a categorical fill or stroke channel */
  color?: Plot.ScaleOptions;
}

function legendOf(series: Series[]): LegendItem[] {
  return series.map((s) => ({ kind: "line", label: s.label, color: s.color, dash: s.dash, wide: s.wide }));
}

const MARGIN = { left: 64, right: 24, top: 24, bottom: 36 };
const LEGEND_LINE = 17; // px between wrapped legend lines

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

export interface FrameOptions {
  document: Document;
  width: number;
  height: number;
  /** file name stem */
  id: string;
  title: string;
  /** one line under the title */
  subtitle: string;
  legend: LegendItem[];
  /** the x scale shared by the panels; its axis is drawn under the last panel only */
  x: Plot.ScaleOptions;
  /** stacked top to bottom, sharing the height below the header */
  panels: Panel[];
  /** wrap a long legend onto further lines (the header grows) instead of cutting it at one line */
  wrapLegend?: boolean;
}

/**
 * The layout every chart shares: a white 800×400 (by default) SVG with a title, a subtitle, a legend, and
 * the panels (one Plot each) stacked below, then normalized (see normalize). Exported for the sweep and
 * comparison charts (sweep-charts.ts, compare.ts).
 */
export function frame(o: FrameOptions): ChartSpec {
  const { width, height, document, panels } = o;
  const legend = o.wrapLegend ? legendWrapped(o.legend, TITLE_X, 56, width - MARGIN.right) : { svg: legendSvg(o.legend, TITLE_X, 56, width - MARGIN.right), lines: 1 };
  const header = HEADER_HEIGHT + (legend.lines - 1) * LEGEND_LINE;
  const body = height - header;
  const parts: string[] = [];
  let y = header;
  panels.forEach((p, i) => {
    const last = i === panels.length - 1;
    // the x axis only under the last panel; the others share it
    const h = Math.round(panels.length === 1 ? body : last ? body / panels.length + MARGIN.bottom / 2 : body / panels.length - MARGIN.bottom / 2);
    const x = p.x ?? o.x;
    const options: Plot.PlotOptions = {
      document,
      width,
      height: h,
      className: "evictsim-plot",
      marginLeft: MARGIN.left,
      marginRight: MARGIN.right,
      marginTop: MARGIN.top,
      marginBottom: last ? MARGIN.bottom : 8,
      style: { fontSize: `${FONT_SIZE}px`, background: "white" },
      x: { ...x, axis: last ? (x.axis === undefined ? "bottom" : x.axis) : null },
      // as many ticks as the panel's height holds, and the top of the axis on a tick
      y: { grid: true, ...p.y, ...(p.y.nice === true ? { nice: ticks(h), ticks: ticks(h) } : {}) },
      marks: p.marks,
    };
    if (p.fx) options.fx = { ...p.fx, axis: last ? (p.fx.axis === undefined ? "bottom" : p.fx.axis) : null };
    if (p.color) options.color = p.color;
    const svg = Plot.plot(options) as unknown as SVGSVGElement;
    svg.setAttribute("x", "0");
    svg.setAttribute("y", String(y));
    parts.push(serialize(svg, document));
    y += h;
  });
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="${FONT}" font-size="${FONT_SIZE}">` +
    `<rect width="${width}" height="${height}" fill="white"/>` +
    `<text x="${TITLE_X}" y="22" font-size="16" font-weight="bold" fill="#222">${esc(o.title)}</text>` +
    `<text x="${TITLE_X}" y="39" font-size="${FONT_SIZE}" fill="#666">${esc(o.subtitle)}</text>` +
    legend.svg +
    parts.join("") +
    `</svg>\n`;
  return { id: o.id, title: o.title, svg: normalize(svg) };
}

function ticks(panelHeight: number): number {
  return Math.max(3, Math.round((panelHeight - MARGIN.top - MARGIN.bottom) / 45));
}

function legendSvg(items: LegendItem[], x0: number, y: number, xMax: number): string {
  return legendLines(items, x0, y, xMax, false).svg;
}

/** The legend on as many lines as it needs, LEGEND_LINE px apart. */
function legendWrapped(items: LegendItem[], x0: number, y: number, xMax: number): { svg: string; lines: number } {
  return legendLines(items, x0, y, xMax, true);
}

function legendLines(items: LegendItem[], x0: number, y: number, xMax: number, wrap: boolean): { svg: string; lines: number } {
  let x = x0;
  let lines = 1;
  const out: string[] = [];
  for (const it of items) {
    const w = 22 + 6 + textWidth(it.label) + 20;
    if (x > x0 && x + w > xMax) {
      if (!wrap) break; // one line; the labels of the run charts are short enough in practice
      x = x0;
      y += LEGEND_LINE;
      lines++;
    }
    const swatch =
      it.kind === "band"
        ? `<rect x="${x}" y="${y - 8}" width="22" height="11" fill="${it.color}" fill-opacity="0.3"/>`
        : it.kind === "swatch"
          ? `<rect x="${x + 4}" y="${y - 9}" width="14" height="11" fill="${it.color}"/>`
          : it.kind === "rule"
          ? `<line x1="${x + 18}" x2="${x + 18}" y1="${y - 9}" y2="${y + 4}" stroke="${it.color}" stroke-width="2"/>`
          : `<line x1="${x}" x2="${x + 22}" y1="${y - 3}" y2="${y - 3}" stroke="${it.color}" stroke-width="${it.wide ? 4 : 2}"${it.wide ? ` stroke-opacity="0.55"` : ""}${it.dash ? ` stroke-dasharray="${it.dash}"` : ""}/>`;
    out.push(`<g>${swatch}<text x="${x + 28}" y="${y}" fill="#222">${esc(it.label)}</text></g>`);
    x += w;
  }
  return { svg: `<g aria-label="legend">${out.join("")}</g>`, lines };
}

/** Roughly the width of a label in px (DejaVu Sans / Helvetica-like metrics): enough to space the legend. */
export function textWidth(s: string): number {
  let em = 0;
  for (const ch of s) em += /[ il.,:;|!'()[\]ftjr]/.test(ch) ? 0.33 : /[mwMW%]/.test(ch) ? 0.9 : /[A-Z_]/.test(ch) ? 0.68 : 0.58;
  return em * FONT_SIZE;
}

function serialize(el: Element, document: Document): string {
  const XS = document.defaultView?.XMLSerializer;
  if (XS) return new XS().serializeToString(el);
  return el.outerHTML;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/**
 * Makes the SVG text stable: Plot's generated ids (global counters) renumbered from 1 within this chart,
 * every number with more than two decimals rounded to two, and a line break before each element.
 */
export function normalize(svg: string): string {
  const ids = new Map<string, string>();
  const kinds = new Map<string, number>();
  svg = svg.replace(/plot-(clip|pattern|marker)-(\d+)/g, (m, kind: string) => {
    let id = ids.get(m);
    if (id === undefined) {
      const n = (kinds.get(kind) ?? 0) + 1;
      kinds.set(kind, n);
      id = `plot-${kind}-${n}`;
      ids.set(m, id);
    }
    return id;
  });
  svg = svg.replace(/-?\d+\.\d{3,}/g, (m) => {
    const r = +Number(m).toFixed(2);
    return String(Object.is(r, -0) ? 0 : r);
  });
  // one element per line (never inside a <text>), so a snapshot's diff shows what moved
  return svg.replace(/><(g|svg|path|line|rect|style|text|clipPath|defs)\b/g, ">\n<$1");
}
