import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { fmtDuration, fmtMiB, type ChartSpec } from "../charts/charts.ts";
import { chartsFor, readRun, readSweep, readTable, sweepChartsFor } from "../charts/render.ts";
import { InputError } from "../errors.ts";
import { writeFileAtomic } from "../io/output.ts";
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
import { fmtCount, runFindings, sweepFindings, type Finding } from "./findings.ts";
import { esc, legendHtml, paragraph, preHtml, reportHtml, tableHtml, type HtmlTable, type ReportSection, type TableColumn } from "./html.ts";

/*
 * `sim report`: one self-contained report.html for a run directory (sim run / sim replay) or a sweep
 * directory (sim sweep). The Node edge: reads the directory's files, renders the charts fresh with the
 * chart builders (not from charts/*.svg, which may be stale or absent), computes the findings, and writes
 * the page (findings.ts and html.ts are pure). The file is written under a temporary name and renamed.
 */

export interface ReportOptions {
  /** the HTML file (default <dir>/report.html) */
  out?: string;
  /** sweeps: the hit ratio whose smallest maxmemory per policy is reported (default 0.9) */
  target?: number;
}

export interface Report {
  kind: "run" | "sweep";
  html: string;
  charts: ChartSpec[];
  findings: Finding[];
}

export interface ReportOutcome extends Report {
  file: string;
}

/** Builds the report of `dir` and writes it; returns what was written. */
export function writeReport(dir: string, options: ReportOptions = {}): ReportOutcome {
  return writeReportFile(dir, buildReport(dir, options), options);
}

/** Writes a built report (the CLI builds, hands control back for Ctrl-C, then writes). */
export function writeReportFile(dir: string, report: Report, options: ReportOptions = {}): ReportOutcome {
  const file = options.out ?? join(dir, "report.html");
  // an existing file is replaced only if it is an evictsim report
  writeFileAtomic(file, report.html, "--out", (head) => head.startsWith("<!DOCTYPE html>") && head.includes("evictsim"));
  return { ...report, file };
}

/** A run's or a sweep's report, by what the directory holds. */
export function buildReport(dir: string, options: ReportOptions = {}): Report {
  if (!existsSync(dir)) throw new InputError(`${dir}: no such directory (expected a run directory of sim run or a sweep directory of sim sweep)`);
  if (!statSync(dir).isDirectory()) throw new InputError(`${dir}: not a directory (expected a run directory of sim run or a sweep directory of sim sweep)`);
  if (existsSync(join(dir, "sweep.json"))) return sweepReport(dir, options);
  if (existsSync(join(dir, "summary.csv")) || existsSync(join(dir, "timeseries.csv"))) return runReport(dir);
  throw new InputError(`${dir}: neither a run directory (summary.csv, timeseries.csv) nor a sweep directory (sweep.json)`);
}

const SUMMARY_BY_NAME = new Map<string, Column>(
  [...SUMMARY_COLUMNS, ...STEADY_SUMMARY_COLUMNS, ...APP_SUMMARY_COLUMNS, ...APP_STEADY_SUMMARY_COLUMNS, ...PERSISTENCE_SUMMARY_COLUMNS].map((c) => [c.name, c as Column]),
);
const CLASS_BY_NAME = new Map<string, Column>(CLASS_COLUMNS.map((c) => [c.name, c as Column]));
const HERD_BY_NAME = new Map<string, Column>(HERD_COLUMNS.map((c) => [c.name, c as Column]));

/* ------------------------------------------------------------------------------------------------ */
/* A run                                                                                              */
/* ------------------------------------------------------------------------------------------------ */

function runReport(dir: string): Report {
  const { rows, columns, info } = readRun(dir);
  const summary = readTable(join(dir, "summary.csv"));
  const s = summary.records[0];
  const optional = (f: string) => (existsSync(join(dir, f)) ? readTable(join(dir, f)) : undefined);
  const classes = optional("classes.csv");
  const herds = optional("herds.csv");
  const scenarioFile = join(dir, "scenario.resolved.yaml");
  const scenarioText = existsSync(scenarioFile) ? readFileSync(scenarioFile, "utf8") : undefined;
  const charts = chartsFor(rows, info, columns);
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
    title: `${info.scenario || basename(resolve(dir))}: evictsim run report`,
    subtitle: [basename(resolve(dir)), info.policy, limit, duration, s.seed !== undefined ? `seed ${s.seed}` : ""].filter(Boolean).join(" · "),
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

function sweepReport(dir: string, options: ReportOptions): Report {
  const table = readSweep(dir);
  const { manifest, columns } = table;
  const charts = table.rows.length > 0 ? sweepChartsFor(table) : [];
  const findings = sweepFindings(table, { target: options.target });
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
  const resolved = table.rows.find((r) => r.dir && existsSync(join(dir, "points", r.dir, "scenario.resolved.yaml")));
  if (resolved) {
    const text = readFileSync(join(dir, "points", resolved.dir, "scenario.resolved.yaml"), "utf8");
    sections.push({
      id: "scenario",
      title: "Scenario",
      html:
        `<p class="muted">The base scenario (${esc(manifest.scenario ?? manifest.name)}) with every default filled in, as resolved for point ` +
        `<code>${esc(resolved.dir)}</code>; at the other points the swept keys (${manifest.keys.map((k) => `<code>${esc(k)}</code>`).join(", ")}) take the values above.</p>` +
        preHtml(text),
    });
  }

  const html = reportHtml({
    title: `${manifest.name}: evictsim sweep report`,
    subtitle: `${basename(resolve(dir))} · ${table.rows.length} of ${manifest.points} points · ${manifest.keys.join(" × ")}`,
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
