/// <reference lib="dom" />
import * as Plot from "@observablehq/plot";

/*
 * The frame every chart shares (the run charts, charts.ts; the sweep charts, sweep-charts.ts; the runs
 * overlaid, compare.ts): size, margins, font, the colour scheme, a title, a one-line subtitle, a legend
 * drawn here (Plot's swatch legends are HTML, not SVG), and one or more Plot panels stacked below them,
 * the x axis under the last. Pure: the `document` Plot builds its elements with is a parameter (a jsdom
 * document in Node, `window.document` in a browser).
 *
 * The output is deterministic: Plot's class name is fixed, its generated ids are renumbered per chart,
 * and every number with more than two decimals is rounded to two (snapshots stay stable).
 */

export interface ChartSpec {
  /** file name stem: charts/<id>.svg */
  id: string;
  title: string;
  /** a standalone SVG document */
  svg: string;
}

/* ------------------------------------------------------------------------------------------------ */
/* Constants: font, colours, layout                                                                   */
/* ------------------------------------------------------------------------------------------------ */

const FONT = "system-ui, sans-serif";
const FONT_SIZE = 11; // px, Plot's axes and our legend

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

/** The colour of the i-th category (CATEGORICAL, repeating beyond ten). */
export function categoricalColor(i: number): string {
  return CATEGORICAL[i % CATEGORICAL.length];
}

/** The dash pattern of the i-th category: none for the first ten, dashed when their colours repeat. */
export function categoricalDash(i: number): string | undefined {
  return i >= CATEGORICAL.length ? "5,3" : undefined;
}

const HEADER_HEIGHT = 64; // px: title, subtitle and legend above the panels
const TITLE_X = 12; // px: title, subtitle and legend start here
const MARGIN = { left: 64, right: 24, top: 24, bottom: 36 };
const LEGEND_LINE = 17; // px between wrapped legend lines

/* ------------------------------------------------------------------------------------------------ */
/* Axes                                                                                               */
/* ------------------------------------------------------------------------------------------------ */

/** The top of a linear axis before Plot rounds it (`nice`): at least 1, so an all-zero series still gets an axis. */
export function axisMax(m: number): number {
  return m > 0 ? m : 1;
}

/** A log axis's domain: from the power of ten at or below the lowest positive value to the one above the highest. */
export function logDomain(values: readonly number[]): [number, number] {
  const all = values.filter((v) => v > 0);
  const lo = all.length > 0 ? Math.min(...all) : 0.1;
  const hi = all.length > 0 ? Math.max(...all) : 1;
  return [10 ** Math.floor(Math.log10(lo)), 10 ** Math.ceil(Math.log10(hi) + 1e-9)];
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
 * the panels (one Plot each) stacked below, then normalized (see normalize).
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
