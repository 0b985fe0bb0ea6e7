import { parse as parseYaml } from "yaml";
import type { RunInfo } from "../charts/charts.ts";
import { fmtCount, fmtDuration, fmtMiB } from "../charts/format.ts";
import type { ChartSpec } from "../charts/frame.ts";
import type { Row } from "../charts/series.ts";
import type { SweepTable } from "../charts/sweep-charts.ts";
import {
  APP_STEADY_SUMMARY_COLUMNS,
  APP_SUMMARY_COLUMNS,
  CLASS_COLUMNS,
  HERD_COLUMNS,
  PERSISTENCE_SUMMARY_COLUMNS,
  STEADY_SUMMARY_COLUMNS,
  SUMMARY_COLUMNS,
  type Column,
} from "../metrics/columns.ts";
import { runFindings, sweepFindings, type Finding } from "./findings.ts";
import { esc, legendHtml, paragraph, preHtml, reportHtml, tableHtml, type HtmlTable, type ReportSection, type TableColumn } from "./html.ts";

/*
 * `sim report`'s page: one self-contained report.html for a run (sim run / sim replay) or a sweep
 * (sim sweep), built from what the directory holds: the findings (findings.ts), the charts, the tables
 * and the scenario, laid out by html.ts. Pure: the directory's files come in already read and its charts
 * already built (io/report-files.ts does both and writes the page); the same input gives the same bytes.
 */

export interface Report {
  kind: "run" | "sweep";
  html: string;
  charts: ChartSpec[];
  findings: Finding[];
}

/** A CSV file with a header row: its columns and one record per row (cell text). */
export interface CsvTable {
  columns: string[];
  records: Record<string, string>[];
}

/** What a run's report is built from: a run directory's files, read. */
export interface RunReportInput {
  /** the run directory as named (the footer says where the report comes from) */
  dir: string;
  /** the directory's own name (the subtitle; the title when the run names no scenario) */
  dirName: string;
  /** timeseries.csv */
  rows: readonly Row[];
  /** summary.csv's figures the charts use */
  info: RunInfo;
  /** summary.csv */
  summary: CsvTable;
  /** classes.csv and herds.csv, where the run wrote them */
  classes?: CsvTable;
  herds?: CsvTable;
  /** scenario.resolved.yaml's text, where there is one */
  scenarioText?: string;
  /** the run's charts (charts/charts.ts) */
  charts: ChartSpec[];
}

/** What a sweep's report is built from: a sweep directory's files, read. */
export interface SweepReportInput {
  /** the sweep directory as named (the footer) */
  dir: string;
  /** the directory's own name (the subtitle) */
  dirName: string;
  /** sweep.csv (its finished points) with its header */
  table: SweepTable & { columns: readonly string[] };
  /** sweep.json: the fields the report reads */
  manifest: { name: string; scenario?: string; keys: readonly string[]; points: number; sweep?: Record<string, unknown[]> };
  /** the sweep's charts (charts/sweep-charts.ts; none before a point has finished) */
  charts: ChartSpec[];
  /** a finished point's scenario.resolved.yaml: the point's directory under points/ and the file's text */
  resolvedScenario?: { point: string; text: string };
  /** the hit ratio whose smallest maxmemory per policy is reported (default 0.9) */
  target?: number;
}

const SUMMARY_BY_NAME = new Map<string, Column>(
  [...SUMMARY_COLUMNS, ...STEADY_SUMMARY_COLUMNS, ...APP_SUMMARY_COLUMNS, ...APP_STEADY_SUMMARY_COLUMNS, ...PERSISTENCE_SUMMARY_COLUMNS].map((c) => [c.name, c as Column]),
);
const CLASS_BY_NAME = new Map<string, Column>(CLASS_COLUMNS.map((c) => [c.name, c as Column]));
const HERD_BY_NAME = new Map<string, Column>(HERD_COLUMNS.map((c) => [c.name, c as Column]));

/* ------------------------------------------------------------------------------------------------ */
/* A run                                                                                              */
/* ------------------------------------------------------------------------------------------------ */

export function runReport(input: RunReportInput): Report {
  const { dir, dirName, rows, info, summary, classes, herds, scenarioText, charts } = input;
  const s = summary.records[0] ?? {};
  const findings = runFindings({ summary: s, rows, classes: classes?.records, herds: herds?.records, crashes: crashEvents(scenarioText) });

  const sections: ReportSection[] = [];
  sections.push({
    id: "summary",
    title: "Summary",
    html:
      paragraph(`summary.csv: the run's final figures, named as Redis's INFO names them where it has a name.`, "muted") +
      tableHtml({
        className: "kv",
        columns: [{ name: "figure" }, { name: "value", numeric: true }, { name: "unit" }, { name: "meaning" }],
        rows: summary.columns.map((c) => {
          const col = SUMMARY_BY_NAME.get(c);
          return [c, reading(s[c] ?? "", col?.unit ?? ""), col?.unit ?? "", col?.describe ?? ""];
        }),
      }),
  });
  if (classes && classes.records.length > 0) {
    const cols = classes.columns.map((c) => tableColumn(c, CLASS_BY_NAME.get(c)));
    sections.push({
      id: "classes",
      title: "Key classes",
      html:
        paragraph(`classes.csv: one row per key class, for comparing stampede mitigations side by side.`, "muted") +
        tableHtml({ columns: cols, rows: classes.records.map((r) => classes.columns.map((c) => cell(r[c] ?? "", CLASS_BY_NAME.get(c)?.unit ?? ""))) }) +
        legendHtml(cols),
    });
  }
  if (herds && herds.records.length > 0) {
    const largest = [...herds.records].sort((a, b) => Number(b.size) - Number(a.size) || Number(a.start_s) - Number(b.start_s)).slice(0, 10);
    const cols = herds.columns.map((c) => tableColumn(c, HERD_BY_NAME.get(c)));
    sections.push({
      id: "herds",
      title: "Herds",
      html:
        paragraph(
          `herds.csv lists ${fmtCount(herds.records.length)} ${herds.records.length === 1 ? "herd" : "herds"} (stampedes: two or more database queries one key's miss caused before it was refilled)` +
            (herds.records.length > 10 ? `; the 10 largest:` : `:`),
          "muted",
        ) + tableHtml({ columns: cols, rows: largest.map((r) => herds.columns.map((c) => cell(r[c] ?? "", HERD_BY_NAME.get(c)?.unit ?? ""))) }),
    });
  }
  if (scenarioText !== undefined)
    sections.push({ id: "scenario", title: "Scenario", html: paragraph(`scenario.resolved.yaml: the scenario of this run with every default filled in.`, "muted") + preHtml(scenarioText) });

  const limit = info.maxmemory > 0 ? `maxmemory ${fmtMiB(info.maxmemory)}` : "no maxmemory";
  const duration = Number.isFinite(info.durationS) ? `${fmtDuration(info.durationS!)} simulated` : "";
  const html = reportHtml({
    title: `${info.scenario || dirName}: evictsim run report`,
    subtitle: [dirName, info.policy, limit, duration, s.seed !== undefined ? `seed ${s.seed}` : ""].filter(Boolean).join(" · "),
    findings,
    charts,
    sections,
    footer: `Written by evictsim (sim report) from ${dir}. Memory in MiB (2^20 bytes, as Redis's "mb"); times as simulated.`,
  });
  return { kind: "run", html, charts, findings };
}

/** The crash events of a resolved scenario (0 when it has none or does not parse). */
function crashEvents(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  try {
    const doc = parseYaml(text) as { events?: { action?: string }[] } | null;
    return (doc?.events ?? []).filter((e) => e?.action === "crash").length;
  } catch {
    return undefined;
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* A sweep                                                                                            */
/* ------------------------------------------------------------------------------------------------ */

export function sweepReport(input: SweepReportInput): Report {
  const { dir, dirName, table, manifest, charts, resolvedScenario: resolved } = input;
  const { columns } = table;
  const findings = sweepFindings(table, { target: input.target });
  const sections: ReportSection[] = [];

  // the swept keys
  const values = (k: string) => (manifest.sweep?.[k] ?? [...new Set(table.rows.map((r) => r[k]))]).map(String);
  sections.push({
    id: "sweep",
    title: "Sweep",
    html:
      paragraph(`${table.rows.length} of ${manifest.points} points finished; every combination of these values (the first key varies slowest):`, "muted") +
      tableHtml({
        className: "kv",
        columns: [{ name: "swept key" }, { name: "values" }, { name: "count", numeric: true }],
        rows: manifest.keys.map((k) => [k, values(k).join(", "), String(values(k).length)]),
      }),
  });

  // the points: sweep.csv without the columns that are the same everywhere or repeat a swept key
  if (table.rows.length > 0) {
    const redundant = new Set(["dir", "point", ...manifest.keys]);
    if (manifest.keys.includes("redis.maxmemory-policy")) redundant.add("maxmemory_policy");
    if (manifest.keys.includes("redis.maxmemory")) redundant.add("maxmemory");
    const summaryCols = columns.filter((c) => !redundant.has(c));
    const constant = summaryCols.filter((c) => table.rows.every((r) => r[c] === table.rows[0][c]));
    // the figures the findings and charts are about first, then the others in sweep.csv's order
    const first = ["hit_ratio", "evicted_keys", "oom_rejected_writes", "first_oom_s", "used_memory_peak", "latency_p99_ms", "db_in_flight_peak", "cow_peak", "writes_lost", "app_errors"];
    const varying = summaryCols.filter((c) => !constant.includes(c)).sort((a, b) => rank(first, a) - rank(first, b));
    const pointCols: TableColumn[] = [
      { name: "point", numeric: true, describe: "the point's index; its run directory is points/<NNNN-values>/" },
      ...manifest.keys.map((k) => ({ name: k, describe: `swept key ${k}` })),
      ...varying.map((c) => tableColumn(c, SUMMARY_BY_NAME.get(c))),
    ];
    const pointTable: HtmlTable = {
      columns: pointCols,
      rows: table.rows.map((r) => [r.point ?? "", ...manifest.keys.map((k) => r[k] ?? ""), ...varying.map((c) => cell(r[c] ?? "", SUMMARY_BY_NAME.get(c)?.unit ?? ""))]),
    };
    sections.push({
      id: "points",
      title: "Points",
      html:
        paragraph(`sweep.csv: one row per point, its swept values and its summary figures. Columns equal at every point are listed below the table.`, "muted") +
        tableHtml(pointTable) +
        legendHtml(pointCols.slice(1 + manifest.keys.length)) +
        (constant.length > 0
          ? `<h3>The same at every point</h3>` +
            tableHtml({
              className: "kv",
              columns: [{ name: "figure" }, { name: "value", numeric: true }, { name: "unit" }, { name: "meaning" }],
              rows: constant.map((c) => {
                const col = SUMMARY_BY_NAME.get(c);
                return [c, reading(table.rows[0][c] ?? "", col?.unit ?? ""), col?.unit ?? "", col?.describe ?? ""];
              }),
            })
          : ""),
    });
  }

  // the base scenario: a finished point's resolved scenario, the swept keys varying
  if (resolved) {
    const { point, text } = resolved;
    sections.push({
      id: "scenario",
      title: "Scenario",
      html:
        `<p class="muted">The base scenario (${esc(manifest.scenario ?? manifest.name)}) with every default filled in, as resolved for point ` +
        `<code>${esc(point)}</code>; at the other points the swept keys (${manifest.keys.map((k) => `<code>${esc(k)}</code>`).join(", ")}) take the values above.</p>` +
        preHtml(text),
    });
  }

  const html = reportHtml({
    title: `${manifest.name}: evictsim sweep report`,
    subtitle: `${dirName} · ${table.rows.length} of ${manifest.points} points · ${manifest.keys.join(" × ")}`,
    findings,
    charts,
    sections,
    footer: `Written by evictsim (sim report) from ${dir}. Memory in MiB (2^20 bytes, as Redis's "mb"); hit ratios as keyspace hits / (hits + misses).`,
  });
  return { kind: "sweep", html, charts, findings };
}

/* ------------------------------------------------------------------------------------------------ */
/* Cells                                                                                              */
/* ------------------------------------------------------------------------------------------------ */

function rank(order: readonly string[], c: string): number {
  const i = order.indexOf(c);
  return i < 0 ? order.length : i;
}

function tableColumn(name: string, col: Column | undefined): TableColumn {
  const numeric = col ? !["", "0/1"].includes(col.unit) || name === "seed" : false;
  return { name, unit: col?.unit && col.unit !== "count" ? col.unit : undefined, describe: col?.describe, numeric };
}

/** A table cell: whole numbers grouped by thousands (72 817), other text as written. */
function cell(v: string, unit: string): string {
  if (unit === "" || v.trim() === "") return v;
  const n = Number(v);
  return Number.isInteger(n) && Math.abs(n) >= 1000 ? fmtCount(n) : v;
}

/** A summary value with a reading where one helps: bytes in MiB, long times as a duration, ratios in %. */
function reading(v: string, unit: string): string {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || unit === "") return v;
  const shown = cell(v, unit);
  if (unit === "bytes" && n >= 1024 * 1024) return `${shown} (${fmtMiB(n)})`;
  if (unit === "s" && n >= 120) return `${shown} (${fmtDuration(n)})`;
  if (unit === "ratio") return `${shown} (${+(n * 100).toFixed(1)} %)`;
  return shown;
}
