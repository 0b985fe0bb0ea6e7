/// <reference lib="dom" />
import * as Plot from "@observablehq/plot";
import {
  APP_STEADY_SUMMARY_COLUMNS,
  APP_SUMMARY_COLUMNS,
  PERSISTENCE_SUMMARY_COLUMNS,
  STEADY_SUMMARY_COLUMNS,
  SUMMARY_COLUMNS,
  type Column,
} from "../metrics/columns.ts";
import { parseDuration, parseMemory } from "../units.ts";
import { fmtSI, MIB } from "./format.ts";
import { axisMax, categoricalColor, categoricalDash, frame, textWidth, type ChartSpec, type LegendItem } from "./frame.ts";

/*
 * The comparison charts of a sweep (sim sweep's sweep.csv): one row per point with its swept values and
 * its summary figures in, standalone SVG charts out, laid out by the shared frame (frame.ts). Pure like
 * charts.ts: the `document` Plot builds its elements with is a parameter; the same table gives
 * byte-identical SVGs.
 *
 *   hit-ratio-vs-maxmemory  (a sweep over redis.maxmemory and redis.maxmemory-policy) hit ratio against
 *                           maxmemory, one line per policy: the miss-ratio curves, upside down
 *   evictions-oom           (same condition) evicted keys and OOM-rejected writes, grouped bars per
 *                           maxmemory, one bar per policy
 *   <metric>-by-<key>       any summary metric against any swept key (sweepMetricChart), coloured by the
 *                           other swept keys; lines over a numeric key, grouped bars over a categorical one
 *
 * A numeric key is one whose values are all sizes (`8mb`: drawn in MiB), durations (`30s`: in s) or plain
 * numbers; sizes spread over a factor of 4 or more are drawn on a log2 axis with a tick at each value.
 */

/** sweep.csv as read: the manifest's name and keys, and one record per point (header → cell text). */
export interface SweepTable {
  /** the scenario's name */
  name: string;
  /** the swept keys (--set paths), in the sweep block's order */
  keys: readonly string[];
  /** sweep.csv's records, in point order */
  rows: readonly Readonly<Record<string, string>>[];
}

export interface SweepChartOptions {
  width?: number;
  height?: number;
}

/** The summary metrics charted against the first numeric swept key, when the sweep has them. */
export const SWEEP_METRICS = ["hit_ratio", "evicted_keys", "oom_rejected_writes"] as const;
export const OPTIONAL_SWEEP_METRICS = ["latency_p99_ms", "db_in_flight_peak", "cow_peak"] as const;

const MAXMEMORY = "redis.maxmemory";
const POLICY = "redis.maxmemory-policy";

/** Builds every chart the sweep allows, in a fixed order (see the list above). */
export function buildSweepCharts(table: SweepTable, document: Document, options: SweepChartOptions = {}): ChartSpec[] {
  const charts: ChartSpec[] = [];
  const mrc = hasMaxmemoryAndPolicy(table);
  if (mrc) charts.push(missRatioCurveChart(table, document, options), evictionsOomChart(table, document, options));
  const key = firstNumericKey(table) ?? table.keys[0];
  if (key === undefined) return charts;
  for (const metric of sweepMetrics(table)) {
    // with maxmemory as the x key these three are the two charts above
    if (mrc && key === MAXMEMORY && (SWEEP_METRICS as readonly string[]).includes(metric)) continue;
    charts.push(sweepMetricChart(table, metric, key, document, options));
  }
  return charts;
}

/** hit_ratio, evicted_keys, oom_rejected_writes, then those of OPTIONAL_SWEEP_METRICS with a value at some point. */
export function sweepMetrics(table: SweepTable): string[] {
  const present = (m: string) => table.rows.some((r) => Number.isFinite(num(r[m])));
  return [...SWEEP_METRICS, ...OPTIONAL_SWEEP_METRICS.filter(present)];
}

export function hasMaxmemoryAndPolicy(table: SweepTable): boolean {
  return table.keys.includes(MAXMEMORY) && table.keys.includes(POLICY) && keyAxis(table, MAXMEMORY).numeric;
}

/** The first swept key whose values are all numbers, sizes or durations (and not all the same). */
export function firstNumericKey(table: SweepTable): string | undefined {
  return table.keys.find((k) => keyAxis(table, k).numeric);
}

/* ------------------------------------------------------------------------------------------------ */
/* Keys and metrics                                                                                   */
/* ------------------------------------------------------------------------------------------------ */

export interface KeyAxis {
  key: string;
  numeric: boolean;
  /** axis label with unit */
  label: string;
  /** the row's value on the axis (numeric keys), NaN if it does not parse */
  value: (row: Readonly<Record<string, string>>) => number;
  /** a value as the axis and the findings write it: "16" (MiB), "allkeys-lru" */
  format: (v: number) => string;
  /** sizes: MiB */
  unit: string;
}

/** How a swept key is drawn: numeric (size in MiB, duration in s, number) or categorical. */
export function keyAxis(table: SweepTable, key: string): KeyAxis {
  const raw = table.rows.map((r) => r[key] ?? "");
  const distinct = new Set(raw);
  const base = { key, format: (v: number) => trim(v) };
  const short = key === MAXMEMORY ? "maxmemory" : key;
  if (raw.length > 0 && distinct.size > 1) {
    const plain = raw.every((v) => /^\s*-?\d+(\.\d+)?\s*$/.test(v));
    const durationish = /(time|duration|ttl|interval|timeout|delay|period|downtime|^at$)$/i.test(key.split(".").pop() ?? "");
    const asSize = raw.every((v) => parseMemory(v) !== null);
    const asDuration = raw.every((v) => parseDuration(v) !== null);
    // plain numbers are bytes for a size key (redis.maxmemory: 8388608), else just numbers
    const sizeish = /(maxmemory|memory|size)$/i.test(key.split(".").pop() ?? "");
    if (plain && !sizeish) return { ...base, numeric: true, label: short, unit: "", value: (r) => num(r[key]) };
    if (asDuration && (durationish || !asSize))
      return { ...base, numeric: true, label: `${short} (s)`, unit: "s", value: (r) => (parseDuration(r[key]) ?? NaN) / 1e6 };
    if (asSize) return { ...base, numeric: true, label: `${short} (MiB)`, unit: "MiB", value: (r) => (parseMemory(r[key]) ?? NaN) / MIB };
  }
  return { ...base, numeric: false, label: short, unit: "", value: () => NaN };
}

const SUMMARY_BY_NAME = new Map<string, Column>(
  [...SUMMARY_COLUMNS, ...STEADY_SUMMARY_COLUMNS, ...APP_SUMMARY_COLUMNS, ...APP_STEADY_SUMMARY_COLUMNS, ...PERSISTENCE_SUMMARY_COLUMNS].map((c) => [c.name, c as Column]),
);

interface MetricAxis {
  label: string;
  /** from the CSV's unit to the axis's */
  f: (v: number) => number;
  percent: boolean;
}

/** A summary metric's axis: ratios in %, bytes in MiB, other units as columns.ts gives them. */
export function metricAxis(metric: string): MetricAxis {
  const unit = SUMMARY_BY_NAME.get(metric)?.unit ?? "";
  if (unit === "ratio") return { label: `${metric} (%)`, f: (v) => v * 100, percent: true };
  if (unit === "bytes") return { label: `${metric} (MiB)`, f: (v) => v / MIB, percent: false };
  return { label: unit === "" || unit === "count" ? metric : `${metric} (${unit})`, f: (v) => v, percent: false };
}

function num(v: string | undefined): number {
  return v === undefined || v.trim() === "" ? NaN : Number(v);
}

function trim(v: number): string {
  return String(+v.toFixed(Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2));
}

/* ------------------------------------------------------------------------------------------------ */
/* Series: one per combination of the other keys                                                      */
/* ------------------------------------------------------------------------------------------------ */

interface SeriesInfo {
  /** the other keys (colour) */
  by: string[];
  /** series label per row */
  labelOf: (row: Readonly<Record<string, string>>) => string;
  /** labels in order of first appearance */
  labels: string[];
  color: (label: string) => string;
  /** a dash pattern for series beyond the palette's ten colours */
  dash: (label: string) => string | undefined;
}

function seriesBy(table: SweepTable, key: string): SeriesInfo {
  const by = table.keys.filter((k) => k !== key);
  const labelOf = (r: Readonly<Record<string, string>>) =>
    by.length === 0 ? "all points" : by.length === 1 ? (r[by[0]] ?? "") : by.map((k) => `${k.split(".").pop()}=${r[k] ?? ""}`).join(" · ");
  const labels: string[] = [];
  for (const r of table.rows) {
    const l = labelOf(r);
    if (!labels.includes(l)) labels.push(l);
  }
  const index = (l: string) => Math.max(0, labels.indexOf(l));
  return {
    by,
    labelOf,
    labels,
    color: (l) => categoricalColor(index(l)),
    dash: (l) => categoricalDash(index(l)),
  };
}

function subtitle(table: SweepTable, width: number): string {
  const n = `${table.name} sweep · ${table.rows.length} point${table.rows.length === 1 ? "" : "s"}`;
  const values = (k: string) => [...new Set(table.rows.map((r) => r[k] ?? ""))];
  const long = `${n} · ${table.keys.map((k) => `${k}: ${values(k).join(", ")}`).join(" · ")}`;
  return textWidth(long) < width - 40 ? long : `${n} · ${table.keys.join(" × ")}`;
}

/* ------------------------------------------------------------------------------------------------ */
/* The charts                                                                                         */
/* ------------------------------------------------------------------------------------------------ */

/** (a) hit ratio against maxmemory, one line per policy (and other swept keys): miss-ratio-curve style. */
export function missRatioCurveChart(table: SweepTable, document: Document, options: SweepChartOptions = {}): ChartSpec {
  // each point's steady-state hit ratio (after the warm-up) with its 95 % interval; a point that reached
  // no steady state shows its whole-run figure as a hollow dot (cold start included), and the title says so
  const reached = (r: Readonly<Record<string, string>>) => r.steady_state === "reached" && (r.steady_hit_ratio ?? "") !== "";
  if (!table.rows.some(reached))
    return sweepMetricChart(table, "hit_ratio", MAXMEMORY, document, options, {
      id: "hit-ratio-vs-maxmemory",
      title: "Hit ratio against maxmemory, one line per policy (miss-ratio curve)",
      note: table.rows.some((r) => r.steady_state !== undefined) ? "whole runs, cold start included: no point reached a steady state" : undefined,
    });
  const rows = table.rows.map((r) => ({
    ...r,
    plotted_hit_ratio: reached(r) ? r.steady_hit_ratio : r.hit_ratio,
    plotted_hit_ratio_ci95: reached(r) ? (r.steady_hit_ratio_ci95 ?? "") : "",
  }));
  const unsteady = table.rows.filter((r) => !reached(r)).length;
  return sweepMetricChart({ ...table, rows }, "plotted_hit_ratio", MAXMEMORY, document, options, {
    id: "hit-ratio-vs-maxmemory",
    title: "Steady-state hit ratio against maxmemory, one line per policy (miss-ratio curve)",
    note: `after the warm-up; bars: 95 % interval${unsteady > 0 ? `; hollow: ${unsteady} point${unsteady > 1 ? "s" : ""} with no steady state (whole run, cold start included)` : ""}`,
    axisLabel: "hit ratio (%)",
    hollow: (r) => !reached(r),
  });
}

/** (b) evictions and OOM-rejected writes: two panels of bars grouped by maxmemory, one bar per policy. */
export function evictionsOomChart(table: SweepTable, document: Document, options: SweepChartOptions = {}): ChartSpec {
  const { width = 800, height = 400 } = options;
  const axis = keyAxis(table, MAXMEMORY);
  const series = seriesBy(table, MAXMEMORY);
  const panel = (metric: string, label: string) => {
    const data = table.rows
      .map((r) => ({ fx: axis.value(r), s: series.labelOf(r), y: num(r[metric]) }))
      .filter((d) => Number.isFinite(d.fx) && Number.isFinite(d.y));
    const max = Math.max(0, ...data.map((d) => d.y));
    const marks: Plot.Markish[] = [Plot.ruleY([0]), Plot.barY(data, { fx: "fx", x: "s", y: "y", fill: "s", ariaDescription: metric })];
    if (max === 0) marks.push(Plot.text([`no ${label} at any point`], { frameAnchor: "middle", fill: "#666", fontSize: 12 }));
    return {
      marks,
      y: { label, domain: [0, axisMax(max)], nice: true, tickFormat: fmtSI } as Plot.ScaleOptions,
      x: { domain: series.labels, axis: null, paddingInner: 0.1 } as Plot.ScaleOptions,
      fx: { label: axis.label, domain: distinctSorted(data.map((d) => d.fx)), tickFormat: axis.format, padding: 0.2 } as Plot.ScaleOptions,
      color: { domain: series.labels, range: series.labels.map(series.color) } as Plot.ScaleOptions,
    };
  };
  const legend: LegendItem[] = series.labels.map((l) => ({ kind: "swatch", label: l, color: series.color(l) }));
  return frame({
    document,
    width,
    height,
    id: "evictions-oom",
    title: "Evicted keys and OOM-rejected writes, per maxmemory and policy",
    subtitle: subtitle(table, width),
    legend,
    wrapLegend: true,
    x: {},
    panels: [panel("evicted_keys", "evicted keys"), panel("oom_rejected_writes", "OOM-rejected writes")],
  });
}

/**
 * (c) any summary metric against any swept key, coloured by the other swept keys: lines with a dot per
 * point over a numeric key, grouped bars over a categorical one.
 */
export function sweepMetricChart(
  table: SweepTable,
  metric: string,
  key: string,
  document: Document,
  options: SweepChartOptions = {},
  names: { id?: string; title?: string; note?: string; axisLabel?: string; hollow?: (row: Readonly<Record<string, string>>) => boolean } = {},
): ChartSpec {
  const { width = 800, height = 400 } = options;
  const axis = keyAxis(table, key);
  const series = seriesBy(table, key);
  const m = names.axisLabel !== undefined ? { ...metricAxis(metric.replace(/^plotted_/, "")), label: names.axisLabel } : metricAxis(metric);
  const id = names.id ?? `${metric}-by-${key.replace(/[^A-Za-z0-9_]+/g, "-")}`;
  const title = names.title ?? `${metric} against ${axis.key}${series.by.length > 0 ? `, per ${series.by.join(" · ")}` : ""}`;
  const ys = table.rows.map((r) => m.f(num(r[metric]))).filter(Number.isFinite);
  const y = yScale(m, ys);
  const legend: LegendItem[] = series.by.length === 0 ? [] : series.labels.map((l) => ({ kind: axis.numeric ? "line" : "swatch", label: l, color: series.color(l), dash: series.dash(l) }));
  if (axis.numeric) {
    const data = table.rows
      .map((r) => ({ x: axis.value(r), y: m.f(num(r[metric])), s: series.labelOf(r), hollow: names.hollow?.(r) ?? false }))
      .filter((d) => Number.isFinite(d.x) && Number.isFinite(d.y));
    const xs = distinctSorted(data.map((d) => d.x));
    const marks: Plot.Markish[] = [Plot.ruleY([y.domain[0]])];
    // a 95 % interval per point where the sweep has one (steady_* figures): a bar from y − ci to y + ci
    const ciCol = `${metric}_ci95`;
    const withCi = table.rows.some((r) => (r[ciCol] ?? "") !== "");
    const ci = table.rows
      .map((r) => ({ x: axis.value(r), y1: m.f(num(r[metric]) - num(r[ciCol])), y2: m.f(num(r[metric]) + num(r[ciCol])), s: series.labelOf(r) }))
      .filter((d) => Number.isFinite(d.x) && Number.isFinite(d.y1) && Number.isFinite(d.y2));
    for (const l of series.labels) {
      const s = data.filter((d) => d.s === l).sort((a, b) => a.x - b.x);
      if (s.length === 0) continue;
      // the line joins the points that have a steady figure; a hollow (whole-run) point stands alone
      const joined = s.filter((d) => !d.hollow);
      if (joined.length > 0) marks.push(Plot.line(joined, { x: "x", y: "y", stroke: series.color(l), strokeWidth: 1.5, strokeDasharray: series.dash(l), ariaDescription: l }));
      if (withCi) marks.push(Plot.ruleX(ci.filter((d) => d.s === l), { x: "x", y1: "y1", y2: "y2", stroke: series.color(l), strokeWidth: 2, ariaDescription: `${l} 95 % interval` }));
      marks.push(Plot.dot(s.filter((d) => !d.hollow), { x: "x", y: "y", fill: series.color(l), r: 3 }));
      const hollow = s.filter((d) => d.hollow);
      if (hollow.length > 0) marks.push(Plot.dot(hollow, { x: "x", y: "y", fill: "white", stroke: series.color(l), strokeWidth: 1.5, r: 3.5 }));
    }
    const sub = names.note !== undefined ? `${names.note} · ${table.name} sweep · ${table.rows.length} points` : subtitle(table, width);
    return frame({ document, width, height, id, title, subtitle: sub, legend, wrapLegend: true, x: xScale(axis, xs), panels: [{ marks, y }] });
  }
  // categorical key: bars grouped by its value, one per series
  const values = [...new Set(table.rows.map((r) => r[key] ?? ""))];
  const data = table.rows.map((r) => ({ fx: r[key] ?? "", s: series.labelOf(r), y: m.f(num(r[metric])) })).filter((d) => Number.isFinite(d.y));
  const marks: Plot.Markish[] = [Plot.ruleY([0]), Plot.barY(data, { fx: "fx", x: "s", y: "y", fill: "s", ariaDescription: metric })];
  return frame({
    document,
    width,
    height,
    id,
    title,
    subtitle: subtitle(table, width),
    legend,
    wrapLegend: true,
    x: {},
    panels: [
      {
        marks,
        y: { ...y, domain: [0, y.domain[1]] },
        x: { domain: series.labels, axis: null, paddingInner: 0.1 },
        fx: { label: axis.label, domain: values, padding: 0.2 },
        color: { domain: series.labels, range: series.labels.map(series.color) },
      },
    ],
  });
}

function distinctSorted(v: number[]): number[] {
  return [...new Set(v)].sort((a, b) => a - b);
}

/** A size or number axis: log2 with a tick at each value when the values span a factor of 4 or more. */
function xScale(axis: KeyAxis, xs: number[]): Plot.ScaleOptions {
  const lo = xs[0] ?? 0;
  const hi = xs[xs.length - 1] ?? 1;
  if (lo > 0 && hi / lo >= 4)
    return { type: "log", base: 2, label: `${axis.label}, log scale`, domain: [lo / 1.15, hi * 1.15], ticks: xs, tickFormat: axis.format, grid: true };
  const pad = (hi - lo) * 0.05 || 1;
  return { label: axis.label, domain: [lo - pad, hi + pad], ticks: xs.length <= 12 ? xs : undefined, tickFormat: axis.format, grid: true };
}

/** Hit ratios: from the ten below the lowest to the ten above the highest (in %); others from 0. */
function yScale(m: MetricAxis, ys: number[]): Plot.ScaleOptions & { domain: [number, number] } {
  if (m.percent) {
    const lo = ys.length > 0 ? Math.min(...ys) : 0;
    const hi = ys.length > 0 ? Math.max(...ys) : 100;
    const domain: [number, number] = [Math.max(0, Math.floor((lo - 2) / 10) * 10), Math.min(100, Math.ceil((hi + 2) / 10) * 10)];
    return { label: m.label, domain };
  }
  const max = Math.max(0, ...ys);
  return { label: m.label, domain: [0, axisMax(max)], nice: true, tickFormat: fmtSI };
}
