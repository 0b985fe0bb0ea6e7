import type { ChartSpec } from "../charts/frame.ts";
import type { Finding } from "./findings.ts";

/*
 * The report page: one self-contained HTML document, inline CSS, the charts as inline SVG, no script,
 * no external resource of any kind (no fonts, no images, no favicon: `data:,`), readable on a laptop and
 * printable (print styles: no navigation, charts and table rows kept whole). Pure: strings in, a string
 * out; the same input gives the same bytes.
 */

export interface TableColumn {
  name: string;
  unit?: string;
  describe?: string;
  /** right-aligned */
  numeric?: boolean;
}

export interface HtmlTable {
  columns: TableColumn[];
  rows: string[][];
  /** a class for the <table> (e.g. "kv" for a name/value list) */
  className?: string;
}

export interface ReportSection {
  /** the anchor */
  id: string;
  title: string;
  /** the section's body, HTML */
  html: string;
}

export interface ReportPage {
  /** <title> and <h1> */
  title: string;
  /** a line under the title */
  subtitle: string;
  findings: Finding[];
  charts: readonly ChartSpec[];
  /** after the findings and the charts, in order */
  sections: ReportSection[];
  /** the footer line */
  footer: string;
}

export function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The whole page. */
export function reportHtml(page: ReportPage): string {
  const sections: ReportSection[] = [
    {
      id: "findings",
      title: "Key findings",
      html:
        page.findings.length === 0
          ? `<p class="muted">Nothing stood out.</p>`
          : `<ul class="findings">${page.findings.map((f) => `<li class="${f.tone}">${esc(f.text)}</li>`).join("\n")}</ul>`,
    },
    {
      id: "charts",
      title: "Charts",
      html: page.charts.map((c, i) => `<figure class="chart" id="chart-${esc(c.id)}" data-chart="${esc(c.id)}">${inlineSvg(c, i)}</figure>`).join("\n"),
    },
    ...page.sections,
  ];
  const nav = sections.map((s) => `<a href="#${esc(s.id)}">${esc(s.title)}</a>`).join("\n");
  return (
    `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">\n` +
    `<meta name="generator" content="evictsim sim report">\n` +
    `<link rel="icon" href="data:,">\n` +
    `<title>${esc(page.title)}</title>\n<style>${CSS}</style>\n</head>\n<body>\n` +
    `<header>\n<h1>${esc(page.title)}</h1>\n<p class="subtitle">${esc(page.subtitle)}</p>\n<nav>${nav}</nav>\n</header>\n<main>\n` +
    sections.map((s) => `<section id="${esc(s.id)}">\n<h2>${esc(s.title)}</h2>\n${s.html}\n</section>`).join("\n") +
    `\n</main>\n<footer>${esc(page.footer)}</footer>\n</body>\n</html>\n`
  );
}

/**
 * A chart's SVG made fit to sit in a page with others: Plot's ids (numbered from 1 in every chart) get a
 * per-chart prefix so that one chart's url(#…) cannot point into another, and the root gets a class and
 * an accessible name.
 */
export function inlineSvg(chart: ChartSpec, index: number): string {
  return chart.svg
    .replace(/\bplot-(clip|pattern|marker)-(\d+)/g, `c${index + 1}-plot-$1-$2`)
    .replace(/^<svg /, `<svg class="chart-svg" role="img" aria-label="${esc(chart.title)}" `)
    .trimEnd();
}

export function tableHtml(t: HtmlTable): string {
  const head = t.columns
    .map((c) => {
      const unit = c.unit ? `<span class="unit">${esc(c.unit)}</span>` : "";
      // long snake_case names may break after an underscore, so wide tables stay narrower
      const name = esc(c.name).replace(/_/g, "_<wbr>");
      return `<th${c.numeric ? ` class="num"` : ""}${c.describe ? ` title="${esc(c.describe)}"` : ""}>${name}${unit}</th>`;
    })
    .join("");
  const body = t.rows
    .map((r) => `<tr>${r.map((v, j) => `<td${t.columns[j]?.numeric ? ` class="num"` : ""}>${esc(v)}</td>`).join("")}</tr>`)
    .join("\n");
  return `<div class="table-wrap"><table${t.className ? ` class="${esc(t.className)}"` : ""}>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

/** A definition list of column meanings (for tables too wide for a description column). */
export function legendHtml(columns: readonly TableColumn[]): string {
  const items = columns.filter((c) => c.describe).map((c) => `<dt>${esc(c.name)}</dt><dd>${esc(c.describe!)}${c.unit ? ` (${esc(c.unit)})` : ""}</dd>`);
  return items.length === 0 ? "" : `<dl class="columns">${items.join("")}</dl>`;
}

export function preHtml(text: string): string {
  return `<pre>${esc(text.trimEnd())}</pre>`;
}

export function paragraph(text: string, className?: string): string {
  return `<p${className ? ` class="${className}"` : ""}>${esc(text)}</p>`;
}

const CSS = `
:root { color-scheme: light; --ink: #222; --muted: #666; --rule: #ddd; --bad: #c0392b; --warn: #b9770e; --info: #4e79a7; }
* { box-sizing: border-box; }
html { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fafafa; }
body { margin: 0 auto; max-width: 1120px; padding: 24px 28px 40px; background: white; min-height: 100vh; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 1rem; margin: 20px 0 8px; }
.subtitle, .muted { color: var(--muted); margin: 0 0 8px; }
nav { display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: 0.9rem; margin-top: 8px; }
nav a { color: var(--info); text-decoration: none; }
nav a:hover { text-decoration: underline; }
ul.findings { list-style: none; padding: 0; margin: 0; }
ul.findings li { margin: 6px 0; padding: 6px 10px; border-left: 4px solid var(--info); background: #f4f7fb; }
ul.findings li.bad { border-left-color: var(--bad); background: #fbf1f0; }
ul.findings li.warn { border-left-color: var(--warn); background: #fcf7ee; }
figure.chart { margin: 12px 0 20px; }
svg.chart-svg { display: block; max-width: 100%; height: auto; border: 1px solid var(--rule); }
svg.chart-svg text, svg.chart-svg tspan { white-space: pre; }
.table-wrap { overflow-x: auto; margin: 8px 0 12px; }
table { border-collapse: collapse; font-size: 0.85rem; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; vertical-align: bottom; }
td { white-space: nowrap; }
table.kv td:last-child { white-space: normal; }
th .unit { display: block; font-weight: normal; color: var(--muted); font-size: 0.8em; }
td.num, th.num { text-align: right; white-space: nowrap; }
table.kv td:first-child { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; white-space: nowrap; }
tbody tr:hover { background: #f8f8f8; }
dl.columns { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; font-size: 0.8rem; color: var(--muted); margin: 8px 0; }
dl.columns dt { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
dl.columns dd { margin: 0; }
pre { background: #f6f6f6; border: 1px solid var(--rule); padding: 10px 12px; font-size: 0.8rem; line-height: 1.35; overflow-x: auto; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
footer { margin-top: 36px; color: var(--muted); font-size: 0.8rem; border-top: 1px solid var(--rule); padding-top: 8px; }
@media print {
  @page { margin: 14mm; }
  html { background: white; font-size: 11pt; }
  body { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { break-after: avoid; }
  figure.chart, tr, ul.findings li { break-inside: avoid; }
  svg.chart-svg { border: none; width: 100%; }
  .table-wrap { overflow: visible; }
  table { font-size: 7.5pt; }
  pre { white-space: pre-wrap; font-size: 7.5pt; }
  ul.findings li { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
`;
