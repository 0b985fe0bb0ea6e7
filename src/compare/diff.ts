/*
 * Side-by-side comparison of two runs (typically `sim run` and `sim replay` of one scenario): the final
 * figures with their errors, and the largest gap along the time series. Tolerances are the ones the
 * fidelity suite asserts. Pure: the tables come in as read from the run directories' CSVs
 * (src/io/run-diff.ts reads them).
 */

export interface DiffRow {
  metric: string;
  a: number;
  b: number;
  /** Absolute difference for ratios (in percentage points), relative (%) for counts and bytes. */
  error: number;
  unit: "pp" | "%";
  tolerance: number;
  ok: boolean;
}

/** A CSV file's records, each keyed by its header's column names. */
export type Table = Record<string, string>[];

/** (a − b) / b in %, with b = 0 handled: 0 when both are 0. */
export function relErr(a: number, b: number): number {
  if (a === b) return 0;
  if (b === 0) return Infinity;
  return ((a - b) / Math.abs(b)) * 100;
}

export const TOLERANCES: Record<string, [number, "pp" | "%"]> = {
  hit_ratio: [1, "pp"],
  evicted_keys: [5, "%"],
  expired_keys: [5, "%"],
  used_memory: [3, "%"],
  oom_rejected_writes: [5, "%"],
  keys: [5, "%"],
};

/**
 * Small counts make relative errors meaningless (3 vs 2 evictions is 50 %); below this many the
 * comparison passes when the absolute difference is within it.
 */
export const SMALL_COUNT = 20;

/**
 * The diff of two runs from their summary rows (summary.csv's one data row) and their time series
 * (timeseries.csv).
 */
export function diffTables(sa: Record<string, string>, sb: Record<string, string>, ta: Table, tbRows: Table): DiffRow[] {
  const rows: DiffRow[] = [];
  for (const [metric, [tol, unit]] of Object.entries(TOLERANCES)) {
    const a = Number(sa[metric]), b = Number(sb[metric]);
    const error = unit === "pp" ? (a - b) * 100 : relErr(a, b);
    const small = unit === "%" && Math.max(Math.abs(a), Math.abs(b)) < SMALL_COUNT && Math.abs(a - b) <= SMALL_COUNT;
    rows.push({ metric, a, b, error, unit, tolerance: tol, ok: small || Math.abs(error) <= tol });
  }
  // the time series' largest gap, on rows with the same time
  const tb = new Map(tbRows.map((r) => [r.time_s, r]));
  const gaps = { hit_ratio: 0, used_memory: 0, keys: 0 };
  for (const r of ta) {
    const o = tb.get(r.time_s);
    if (!o) continue;
    if (r.hit_ratio !== "" && o.hit_ratio !== "") gaps.hit_ratio = Math.max(gaps.hit_ratio, Math.abs(Number(r.hit_ratio) - Number(o.hit_ratio)) * 100);
    gaps.used_memory = Math.max(gaps.used_memory, Math.abs(relErr(Number(r.used_memory), Number(o.used_memory))));
    gaps.keys = Math.max(gaps.keys, Math.abs(relErr(Number(r.keys), Number(o.keys))));
  }
  rows.push({ metric: "max_gap_hit_ratio", a: NaN, b: NaN, error: gaps.hit_ratio, unit: "pp", tolerance: Infinity, ok: true });
  rows.push({ metric: "max_gap_used_memory", a: NaN, b: NaN, error: gaps.used_memory, unit: "%", tolerance: Infinity, ok: true });
  rows.push({ metric: "max_gap_keys", a: NaN, b: NaN, error: gaps.keys, unit: "%", tolerance: Infinity, ok: true });
  return rows;
}

export function diffText(rows: DiffRow[], nameA: string, nameB: string): string {
  const f = (x: number) => (Number.isNaN(x) ? "" : Number.isInteger(x) ? String(x) : x.toFixed(6));
  const head = ["metric", nameA, nameB, "error", "tolerance", ""];
  const body = rows.map((r) => [
    r.metric,
    f(r.a),
    f(r.b),
    `${r.error >= 0 ? "+" : ""}${r.error.toFixed(2)} ${r.unit}`,
    Number.isFinite(r.tolerance) ? `±${r.tolerance} ${r.unit}` : "",
    Number.isFinite(r.tolerance) ? (r.ok ? "ok" : "OUTSIDE") : "",
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [head, ...body].map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join("  ")).join("\n");
}

// ---- size-class tables ------------------------------------------------------------------------------------

/** Which size-class table a run directory's used_memory was counted with, and how that is known. */
export interface RunAllocator {
  kind: "run" | "replay";
  /** jemalloc-bundled, jemalloc-debian, unknown; null when the directory does not say. */
  allocator: string | null;
  source: string;
}

/**
 * When one directory is a simulated run and the other a replay, and the replayed server's size classes
 * are not the ones the simulation counted with: a one-line explanation (used_memory, keys and evictions
 * then differ by construction, not by the model's error), else null. `a` and `b` are what
 * src/io/run-diff.ts runAllocator found in `dirA` and `dirB`.
 */
export function allocatorMismatchText(dirA: string, a: RunAllocator, dirB: string, b: RunAllocator): string | null {
  if (a.kind === b.kind || a.allocator === null || b.allocator === null || a.allocator === b.allocator) return null;
  const [run, runDir, replay, replayDir] = a.kind === "run" ? [a, dirA, b, dirB] : [b, dirB, a, dirA];
  const server =
    replay.allocator === "unknown"
      ? `the server replayed in ${replayDir} matches none of the simulator's tables`
      : `the server replayed in ${replayDir} uses ${replay.allocator}`;
  const fix = replay.allocator === "unknown" ? "" : `; simulate again with --set redis.allocator=${replay.allocator}`;
  return `ALLOCATOR MISMATCH: ${runDir} was simulated with ${run.allocator} size classes but ${server}: used_memory, keys and evictions differ by construction, not by the model's error${fix}. Sources: ${run.source}; ${replay.source}`;
}
