/*
 * evictsim's public API: what a program or a notebook needs to parse, compile and run a scenario, read
 * its results and draw them. It is src/api.ts (scenarios, runs, results, the model's pieces) plus the
 * chart-spec builders of src/charts/. The notebooks (notebooks/evictsim.ts) import it; the CLI
 * (src/cli/) and bin/sim.js import src/api.ts (and the CLI src/charts/ where it draws, on demand), so
 * that a command that draws nothing does not load @observablehq/plot.
 *
 * Browser-safe: nothing here, nor anything reachable from here, imports a Node built-in, src/cli/ or
 * src/io/ (files, processes, the environment, sockets live there). test/index.test.ts bundles this file
 * for the browser and fails on any Node built-in; notebooks/build.ts does the same for the notebooks.
 *
 *   import { runScenario, buildCharts } from "evictsim";
 *   const run = runScenario(yamlText, { set: ["redis.maxmemory=64mb"] });
 *   run.summary.hit_ratio; run.rows[0].used_memory;
 *   const charts = buildCharts(run.rows, info, document); // each chart's SVG text
 */

export * from "./api.ts";

// ---- charts: pure chart specs (SVG text) from rows; the caller passes a DOM `document` -------------

export { buildCharts, chartBuilders, type ChartOptions, type RunInfo } from "./charts/charts.ts";
export { buildCompareCharts, type CompareOptions, type CompareRun } from "./charts/compare.ts";
export { buildSweepCharts, sweepMetrics, type SweepChartOptions, type SweepTable } from "./charts/sweep-charts.ts";
export type { ChartSpec } from "./charts/frame.ts";
export type { Row as ChartRow } from "./charts/series.ts";
