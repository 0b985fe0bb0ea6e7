import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { parse } from "csv-parse/sync";
import { JSDOM } from "jsdom";
import { InputError } from "../errors.ts";
import { buildCharts, type ChartSpec, type Row, type RunInfo } from "./charts.ts";

/*
 * The Node edge of the charts: reads a run directory's timeseries.csv and summary.csv, builds the charts
 * (charts.ts) on a jsdom document, and writes charts/<id>.svg and charts/<id>.png. The charts/ folder is
 * written under a temporary name and swapped in whole, so a failed render leaves the previous charts.
 *
 * PNGs are rendered by resvg with one font file found on the system (below), so text renders the same
 * wherever that font is installed; without any of them resvg falls back to the system's fonts, and
 * without fonts at all the PNGs have no text (the SVGs are unaffected).
 */

export interface RenderOptions {
  /** write PNGs beside the SVGs (default true) */
  png?: boolean;
  /** PNG pixels per SVG pixel (default 2: 1600×800 for an 800×400 chart) */
  scale?: number;
  /** told about anything that degrades the output (no font found) */
  warn?: (message: string) => void;
}

/** Renders a run directory's charts; returns the files written, relative to `dir` (charts/<id>.svg, .png). */
export function renderRunCharts(dir: string, options: RenderOptions = {}): string[] {
  const { png = true, scale = 2, warn = () => {} } = options;
  const { rows, columns, info } = readRun(dir);
  const charts = chartsFor(rows, info, columns);
  const tmp = join(dir, `.charts.partial-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const files: string[] = [];
  try {
    const font = png ? pngFont() : undefined;
    if (png && !font) warn("no DejaVu Sans, Liberation Sans, Noto Sans or Arial font found; PNG text uses whatever fonts resvg finds");
    for (const c of charts) {
      writeFileSync(join(tmp, `${c.id}.svg`), c.svg);
      files.push(`charts/${c.id}.svg`);
      if (png) {
        writeFileSync(join(tmp, `${c.id}.png`), svgToPng(c.svg, scale, font));
        files.push(`charts/${c.id}.png`);
      }
    }
    rmSync(join(dir, "charts"), { recursive: true, force: true });
    renameSync(tmp, join(dir, "charts"));
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return files;
}

/** The charts of rows and summary figures, on a fresh jsdom document. */
export function chartsFor(rows: readonly Row[], info: RunInfo, columns?: readonly string[]): ChartSpec[] {
  const { window } = new JSDOM("");
  try {
    return buildCharts(rows, info, window.document, { columns });
  } finally {
    window.close();
  }
}

/* ------------------------------------------------------------------------------------------------ */
/* Reading a run directory                                                                            */
/* ------------------------------------------------------------------------------------------------ */

export interface RunData {
  rows: Row[];
  columns: string[];
  info: RunInfo;
}

export function readRun(dir: string): RunData {
  if (!existsSync(dir)) throw new InputError(`${dir}: no such run directory`);
  if (!statSync(dir).isDirectory()) throw new InputError(`${dir}: not a directory (expected a run directory of sim run or sim replay)`);
  const ts = readTable(join(dir, "timeseries.csv"));
  const sm = readTable(join(dir, "summary.csv"));
  for (const c of ["time_s", "used_memory"])
    if (!ts.columns.includes(c)) throw new InputError(`${join(dir, "timeseries.csv")}: no ${c} column (not written by sim run or sim replay?)`);
  const s = sm.records[0];
  if (!s) throw new InputError(`${join(dir, "summary.csv")}: no data row`);
  const num = (v: string | undefined) => (v === undefined || v.trim() === "" ? NaN : Number(v));
  const rows = ts.records.map((r) => {
    const o: Record<string, number> = {};
    for (const c of ts.columns) o[c] = num(r[c]);
    return o;
  });
  const maxmemory = num(s.maxmemory);
  const info: RunInfo = {
    scenario: s.scenario ?? "",
    policy: s.maxmemory_policy ?? "",
    maxmemory: Number.isFinite(maxmemory) ? maxmemory : 0,
    durationS: num(s.duration_s),
    firstOomS: num(s.first_oom_s),
    hitRatio: num(s.hit_ratio),
    dbConnections: num(s.db_connections),
  };
  return { rows, columns: ts.columns, info };
}

function readTable(file: string): { columns: string[]; records: Record<string, string>[] } {
  if (!existsSync(file)) throw new InputError(`${file}: no such file (is this a run directory of sim run or sim replay?)`);
  let records: Record<string, string>[];
  let columns: string[] = [];
  try {
    records = parse(readFileSync(file, "utf8"), {
      columns: (header: string[]) => (columns = header),
      skip_empty_lines: true,
    }) as Record<string, string>[];
  } catch (e) {
    throw new InputError(`${file}: not a valid CSV file (${(e as Error).message.split("\n")[0]})`);
  }
  return { columns, records };
}

/* ------------------------------------------------------------------------------------------------ */
/* PNG                                                                                                */
/* ------------------------------------------------------------------------------------------------ */

interface Font {
  /** the regular face and, where there is one beside it, the bold face (titles) */
  files: string[];
  family: string;
}

// One regular sans-serif face, looked up in the usual places (Debian's fonts-dejavu-core first).
const FONT_CANDIDATES: [family: string, files: string[]][] = [
  ["DejaVu Sans", ["truetype/dejavu/DejaVuSans.ttf", "TTF/DejaVuSans.ttf", "dejavu/DejaVuSans.ttf", "DejaVuSans.ttf"]],
  ["Liberation Sans", ["truetype/liberation/LiberationSans-Regular.ttf", "truetype/liberation2/LiberationSans-Regular.ttf", "liberation/LiberationSans-Regular.ttf"]],
  ["Noto Sans", ["truetype/noto/NotoSans-Regular.ttf", "noto/NotoSans-Regular.ttf"]],
  ["Arial", ["Supplemental/Arial.ttf", "Arial.ttf", "arial.ttf"]],
];

function fontDirs(): string[] {
  return [
    "/usr/share/fonts",
    "/usr/local/share/fonts",
    join(homedir(), ".local/share/fonts"),
    join(homedir(), ".fonts"),
    "/System/Library/Fonts",
    "/Library/Fonts",
    "C:\\Windows\\Fonts",
  ];
}

let cachedFont: Font | null | undefined;

function pngFont(): Font | undefined {
  if (cachedFont === undefined) {
    cachedFont = null;
    search: for (const [family, files] of FONT_CANDIDATES)
      for (const d of fontDirs())
        for (const f of files) {
          const file = join(d, f);
          if (existsSync(file)) {
            const bold = [file.replace(/-Regular\.ttf$|\.ttf$/i, "-Bold.ttf"), file.replace(/\.ttf$/i, "bd.ttf"), file.replace(/\.ttf$/i, " Bold.ttf")];
            cachedFont = { files: [file, ...bold.filter((b) => b !== file && existsSync(b)).slice(0, 1)], family };
            break search;
          }
        }
  }
  return cachedFont ?? undefined;
}

/** A PNG of an SVG on a white background, `scale` pixels per SVG pixel. */
export function svgToPng(svg: string, scale = 2, font: Font | undefined = pngFont()): Buffer {
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: scale },
    font: font
      ? { loadSystemFonts: false, fontFiles: font.files, defaultFontFamily: font.family, sansSerifFamily: font.family }
      : { loadSystemFonts: true },
    logLevel: "off",
  });
  return resvg.render().asPng();
}
