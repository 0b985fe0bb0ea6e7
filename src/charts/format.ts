/*
 * Figures in words, as the README writes them: durations as "6 h 53 min", sizes in MiB, counts grouped by
 * thousands, ratios in %, axis ticks in SI prefixes. Part of the charts' toolkit (the run, sweep and
 * comparison charts label their axes and subtitles with these), and pure and light (no chart library, no
 * DOM), so the report's findings, the terminal summary and the progress line use them too.
 */

/** Bytes in a MiB: memory is drawn and written in MiB (2^20 bytes, which is what Redis means by `100mb`). */
export const MIB = 2 ** 20;

/** "42 s", "12 min 5 s", "6 h 53 min". */
export function fmtDuration(s: number): string {
  if (s < 120) return `${+s.toFixed(s < 10 ? 2 : 1)} s`;
  if (s < 7200) {
    const m = Math.floor(s / 60);
    const rest = Math.round(s - m * 60);
    return rest === 0 ? `${m} min` : `${m} min ${rest} s`;
  }
  const h = Math.floor(s / 3600);
  const m = Math.round((s - h * 3600) / 60);
  return m === 0 ? `${h} h` : `${h} h ${m} min`;
}

/** Bytes in MiB: "2.5 MiB", "12.3 MiB", "128 MiB". */
export function fmtMiB(bytes: number): string {
  const mib = bytes / MIB;
  return `${+mib.toFixed(mib < 10 ? 2 : mib < 100 ? 1 : 0)} MiB`;
}

/** 72817 → "72 817"; 1952 → "1 952"; fractions keep up to `digits` decimals. */
export function fmtCount(n: number, digits = 0): string {
  if (!Number.isFinite(n)) return String(n);
  const [int, frac] = Math.abs(n).toFixed(digits).split(".");
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, " ");
  const f = frac ? frac.replace(/0+$/, "") : "";
  return `${n < 0 ? "-" : ""}${grouped}${f ? `.${f}` : ""}`;
}

/** A rate or a small figure: whole numbers from 100 up, else three significant digits. */
export function fmtFigure(n: number): string {
  if (Math.abs(n) >= 100) return fmtCount(Math.round(n));
  return String(+n.toPrecision(3));
}

export function fmtPercent(ratio: number): string {
  return `${+(ratio * 100).toFixed(1)} %`;
}

/** A ratio in % with its 95 % half-width in percentage points: "84.6 % ± 0.1", to the interval's precision. */
export function fmtPercentCi(ratio: number, ci95: number): string {
  if (!Number.isFinite(ci95)) return fmtPercent(ratio);
  const pp = ci95 * 100;
  const d = pp >= 1 ? 1 : Math.min(4, Math.max(1, 1 - Math.floor(Math.log10(pp || 1e-4))));
  return `${(ratio * 100).toFixed(d)} % ± ${pp.toFixed(d)}`;
}

/** A figure with its 95 % half-width: "3 654 ± 11". */
export function fmtFigureCi(x: number, ci95: number): string {
  return Number.isFinite(ci95) ? `${fmtFigure(x)} ± ${fmtFigure(ci95)}` : fmtFigure(x);
}

/** Axis ticks in SI prefixes: 0, 500, 1.5k, 20k, 3M. */
export function fmtSI(v: number): string {
  const a = Math.abs(v);
  const [d, p] = a >= 1e9 ? [1e9, "G"] : a >= 1e6 ? [1e6, "M"] : a >= 1e3 ? [1e3, "k"] : [1, ""];
  return `${+(v / d).toPrecision(3)}${p}`;
}
