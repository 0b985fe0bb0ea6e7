import { existsSync, readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { InputError } from "../errors.ts";
import { runReport, sweepReport, type Report } from "../report/report.ts";
import { writeFileAtomic } from "./output.ts";
import { chartsFor, readRun, readSweep, readTable, sweepChartsFor } from "./render.ts";

/*
 * `sim report`'s files: reads a run directory (sim run / sim replay) or a sweep directory (sim sweep),
 * renders the charts fresh with the chart builders (not from charts/*.svg, which may be stale or absent),
 * builds the page (report/report.ts, pure) and writes report.html under a temporary name, then renames it.
 */

export interface ReportOptions {
  /** the HTML file (default <dir>/report.html) */
  out?: string;
  /** sweeps: the hit ratio whose smallest maxmemory per policy is reported (default 0.9) */
  target?: number;
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
  if (existsSync(join(dir, "sweep.json"))) return sweepReportOf(dir, options);
  if (existsSync(join(dir, "summary.csv")) || existsSync(join(dir, "timeseries.csv"))) return runReportOf(dir);
  throw new InputError(`${dir}: neither a run directory (summary.csv, timeseries.csv) nor a sweep directory (sweep.json)`);
}

/** A run directory's report: its CSVs, its resolved scenario and its charts. */
function runReportOf(dir: string): Report {
  const { rows, columns, info } = readRun(dir);
  const summary = readTable(join(dir, "summary.csv"));
  const optional = (f: string) => (existsSync(join(dir, f)) ? readTable(join(dir, f)) : undefined);
  const classes = optional("classes.csv");
  const herds = optional("herds.csv");
  const scenarioFile = join(dir, "scenario.resolved.yaml");
  const scenarioText = existsSync(scenarioFile) ? readFileSync(scenarioFile, "utf8") : undefined;
  const charts = chartsFor(rows, info, columns);
  return runReport({ dir, dirName: basename(resolve(dir)), rows, info, summary, classes, herds, scenarioText, charts });
}

/** A sweep directory's report: sweep.json, sweep.csv, its charts, and a finished point's resolved scenario. */
function sweepReportOf(dir: string, options: ReportOptions): Report {
  const table = readSweep(dir);
  const charts = table.rows.length > 0 ? sweepChartsFor(table) : [];
  const point = table.rows.find((r) => r.dir && existsSync(join(dir, "points", r.dir, "scenario.resolved.yaml")))?.dir;
  const resolvedScenario = point === undefined ? undefined : { point, text: readFileSync(join(dir, "points", point, "scenario.resolved.yaml"), "utf8") };
  return sweepReport({ dir, dirName: basename(resolve(dir)), table, manifest: table.manifest, charts, resolvedScenario, target: options.target });
}
