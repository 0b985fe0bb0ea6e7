/*
 * Timeseries rows as drawable series, shared by the run charts (charts.ts) and the runs overlaid
 * (compare.ts): the time axis's unit, points, per-interval values as steps, and decimation of long runs.
 * Pure: numbers in, numbers out.
 */

/** One timeseries row: column name → value (NaN for an empty cell). */
export type Row = Readonly<Record<string, number>>;

export interface Point {
  x: number;
  y: number;
}

export interface TimeUnit {
  seconds: number;
  label: string;
}

/** Above this many rows a line is decimated to the min and max of each of MAX_POINTS / 2 buckets (+ gaps). */
const MAX_POINTS = 2000;

/** Seconds for runs up to 5 min, minutes up to 5 h, hours beyond. */
export function timeUnit(durationS: number): TimeUnit {
  if (durationS <= 300) return { seconds: 1, label: "time (s)" };
  if (durationS <= 5 * 3600) return { seconds: 60, label: "time (min)" };
  return { seconds: 3600, label: "time (h)" };
}

/** Per-interval points as steps: a value after the start or after a gap gets its interval's start too. */
export function asSteps(p: Point[]): Point[] {
  const out: Point[] = [];
  for (let i = 0; i < p.length; i++) {
    const start = i === 0 ? 0 : Number.isNaN(p[i - 1].y) ? p[i - 1].x : undefined;
    if (start !== undefined && !Number.isNaN(p[i].y) && start < p[i].x) out.push({ x: start, y: p[i].y });
    out.push(p[i]);
  }
  return out;
}

/**
 * Keeps a long series drawable: above MAX_POINTS points, each bucket of consecutive points is replaced by
 * its lowest and highest (in time order), so spikes survive; a bucket with a gap keeps the gap.
 */
export function decimate(p: Point[]): Point[] {
  if (p.length <= MAX_POINTS) return p;
  const size = Math.ceil(p.length / (MAX_POINTS / 2));
  const out: Point[] = [];
  for (let b = 0; b < p.length; b += size) {
    let lo = -1, hi = -1, gap = false;
    for (let i = b; i < Math.min(b + size, p.length); i++) {
      if (Number.isNaN(p[i].y)) { gap = true; continue; }
      if (lo < 0 || p[i].y < p[lo].y) lo = i;
      if (hi < 0 || p[i].y > p[hi].y) hi = i;
    }
    if (lo >= 0) {
      if (lo === hi) out.push(p[lo]);
      else out.push(...(lo < hi ? [p[lo], p[hi]] : [p[hi], p[lo]]));
    }
    if (gap) out.push({ x: p[Math.min(b + size, p.length) - 1].x, y: NaN });
  }
  return out;
}

/** The highest y of the series, at least 0 (NaN gaps skipped). */
export function maxY(series: readonly Point[][]): number {
  let m = 0;
  for (const s of series) for (const p of s) if (p.y > m) m = p.y;
  return m;
}
