import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Resvg } from "@resvg/resvg-js";
import { parse } from "csv-parse/sync";
import { JSDOM } from "jsdom";
import { buildCharts, chartBuilders, type RunInfo } from "../charts/charts.ts";
import type { ChartSpec } from "../charts/frame.ts";
import type { Row } from "../charts/series.ts";
import { buildSweepCharts, type SweepTable } from "../charts/sweep-charts.ts";
import { InputError } from "../errors.ts";

/*
 * The Node edge of the charts (src/charts/ is pure): reads a run directory's timeseries.csv and
 * summary.csv (or a sweep directory's sweep.json and sweep.csv), builds the charts (charts/charts.ts,
 * charts/sweep-charts.ts) on a jsdom document, and writes charts/<id>.svg and charts/<id>.png. The
 * charts/ folder is written under a temporary name and swapped in whole, so a failed render leaves the
 * previous charts.
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
  const { rows, columns, info } = readRun(dir);
  return writeCharts(dir, chartsFor(rows, info, columns), options);
}

/**
 * renderRunCharts, handing control to the host between charts (`pause`: Ctrl-C stops here too). The
 * PNGs are the slow part (~0.1 s each).
 */
export async function renderRunChartsAsync(
  dir: string,
  options: RenderOptions & { pause?: () => Promise<void>; onStart?: (charts: number) => void } = {},
): Promise<string[]> {
  const pause = options.pause ?? (() => Promise.resolve());
  const { rows, columns, info } = readRun(dir);
  await pause();
  // each chart built on its own turn (Plot on jsdom takes ~0.1–0.3 s a chart): Ctrl-C is seen between
  const { window } = new JSDOM("");
  const charts: ChartSpec[] = [];
  try {
    const builders = chartBuilders(rows, info, window.document, { columns });
    options.onStart?.(builders.length);
    for (const build of builders) {
      charts.push(build());
      await pause();
    }
  } finally {
    window.close();
  }
  return writeChartsAsync(dir, charts, options);
}

/**
 * Renders a sweep directory's comparison charts (charts/sweep-charts.ts) from its sweep.json and sweep.csv into
 * <dir>/charts/<id>.svg and .png; returns the files written, relative to `dir`. A sweep without finished
 * points gets no charts (and keeps any it had).
 */
export function renderSweepCharts(dir: string, options: RenderOptions = {}): string[] {
  const table = readSweep(dir);
  if (table.rows.length === 0) return [];
  return writeCharts(dir, sweepChartsFor(table), options);
}

/**
 * Writes charts into <dir>/charts/ (SVG, and PNG unless options.png is false), replacing the folder whole:
 * it is written under a temporary name and renamed, so a failed render leaves the previous charts.
 */
export function writeCharts(dir: string, charts: readonly ChartSpec[], options: RenderOptions = {}): string[] {
  const steps = chartSteps(dir, charts, options);
  let r = steps.next();
  while (!r.done) r = steps.next();
  return r.value;
}

/** writeCharts, awaiting `pause` between charts (it may throw to stop; the partial folder is removed). */
export async function writeChartsAsync(dir: string, charts: readonly ChartSpec[], options: RenderOptions & { pause?: () => Promise<void> } = {}): Promise<string[]> {
  const steps = chartSteps(dir, charts, options);
  try {
    let r = steps.next();
    while (!r.done) {
      await options.pause?.();
      r = steps.next();
    }
    return r.value;
  } finally {
    steps.return([]); // on a throw from pause: runs the generator's cleanup
  }
}

/** The work of writeCharts, one chart per step. */
function* chartSteps(dir: string, charts: readonly ChartSpec[], options: RenderOptions): Generator<void, string[], void> {
  const { png = true, scale = 2, warn = () => {} } = options;
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.charts.partial-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const files: string[] = [];
  let ok = false;
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
      yield;
    }
    rmSync(join(dir, "charts"), { recursive: true, force: true });
    renameSync(tmp, join(dir, "charts"));
    ok = true;
  } finally {
    if (!ok) rmSync(tmp, { recursive: true, force: true });
  }
  return files;
}

/** Runs `build` with a fresh jsdom document, closing its window afterwards. */
export function withDocument<T>(build: (document: Document) => T): T {
  const { window } = new JSDOM("");
  try {
    return build(window.document);
  } finally {
    window.close();
  }
}

/** The comparison charts of a sweep table, on a fresh jsdom document. */
export function sweepChartsFor(table: SweepTable): ChartSpec[] {
  return withDocument((document) => buildSweepCharts(table, document));
}

/** The charts of rows and summary figures, on a fresh jsdom document. */
export function chartsFor(rows: readonly Row[], info: RunInfo, columns?: readonly string[]): ChartSpec[] {
  return withDocument((document) => buildCharts(rows, info, document, { columns }));
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
    ...(s.steady_state === "reached" ? { warmupS: num(s.warmup_s), steadyHitRatio: num(s.steady_hit_ratio), steadyHitRatioCi: num(s.steady_hit_ratio_ci95) } : {}),
  };
  return { rows, columns: ts.columns, info };
}

/* ------------------------------------------------------------------------------------------------ */
/* Reading a sweep directory                                                                          */
/* ------------------------------------------------------------------------------------------------ */

/** What sim sweep writes in sweep.json (the fields read here). */
export interface SweepManifest {
  /** the scenario file, absolute */
  scenario: string;
  name: string;
  keys: string[];
  points: number;
  sweep: Record<string, unknown[]>;
}

export function readSweepManifest(dir: string): SweepManifest {
  if (!existsSync(dir)) throw new InputError(`${dir}: no such sweep directory`);
  const file = join(dir, "sweep.json");
  if (!existsSync(file)) throw new InputError(`${file}: no such file (is this a sweep directory of sim sweep?)`);
  let m: SweepManifest;
  try {
    m = JSON.parse(readFileSync(file, "utf8")) as SweepManifest;
  } catch (e) {
    throw new InputError(`${file}: not valid JSON (${(e as Error).message.split("\n")[0]})`);
  }
  if (!Array.isArray(m.keys) || typeof m.name !== "string") throw new InputError(`${file}: not a sweep manifest of sim sweep (no name or keys)`);
  return m;
}

/** A sweep directory's manifest and sweep.csv as a SweepTable (no rows if sweep.csv is not written yet). */
export function readSweep(dir: string): SweepTable & { manifest: SweepManifest; columns: string[] } {
  const manifest = readSweepManifest(dir);
  const file = join(dir, "sweep.csv");
  const t = existsSync(file) ? readTable(file) : { columns: [], records: [] };
  return { name: manifest.name, keys: manifest.keys, rows: t.records, manifest, columns: t.columns };
}

/** A CSV file with a header row: its columns and one record per row (cell text). */
export function readTable(file: string): { columns: string[]; records: Record<string, string>[] } {
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
