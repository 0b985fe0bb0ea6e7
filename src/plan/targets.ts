import type { Summary } from "../metrics/columns.ts";

/*
 * Capacity targets: `metric op value`, e.g. `hit_ratio>=0.95`, `oom_rejected_writes==0`, `p99_ms<5`.
 * The metric is a summary.csv column; a few short names are accepted for the common ones.
 */

export interface Target {
  text: string;
  metric: string;
  op: ">=" | "<=" | ">" | "<" | "==";
  value: number;
}

export const TARGET_ALIASES: Record<string, string> = {
  p50_ms: "latency_p50_ms",
  p99_ms: "latency_p99_ms",
  p999_ms: "latency_p999_ms",
  oom: "oom_rejected_writes",
  hits: "hit_ratio",
  write_p99_ms: "write_latency_p99_ms",
};

/** Parses one target; returns an error message (with what is allowed) instead of throwing. */
export function parseTarget(text: string, known: readonly string[]): Target | string {
  const m = /^\s*([A-Za-z0-9_.]+)\s*(>=|<=|==|>|<|=)\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*(%?)\s*$/.exec(text);
  if (!m) return `--target ${JSON.stringify(text)}: expected <metric><op><number>, e.g. 'hit_ratio>=0.95', 'oom_rejected_writes==0', 'p99_ms<5'`;
  const metric = TARGET_ALIASES[m[1]] ?? m[1];
  if (!known.includes(metric))
    return `--target ${JSON.stringify(text)}: ${JSON.stringify(m[1])} is not a summary metric; some that are: hit_ratio, oom_rejected_writes, evicted_keys, latency_p99_ms (p99_ms), db_in_flight_peak, write_latency_p99_ms`;
  const value = Number(m[3]) / (m[4] === "%" ? 100 : 1);
  return { text: text.trim(), metric, op: (m[2] === "=" ? "==" : m[2]) as Target["op"], value };
}

/** The metric's value in a summary (empty = the run had none of it: e.g. no reads; treated as failing). */
export function metricValue(s: Summary, metric: string): number {
  const v = (s as Record<string, string | number>)[metric];
  return v === "" || v === undefined ? NaN : Number(v);
}

export function meets(s: Summary, t: Target): boolean {
  const v = metricValue(s, t.metric);
  if (Number.isNaN(v)) return false;
  switch (t.op) {
    case ">=":
      return v >= t.value;
    case "<=":
      return v <= t.value;
    case ">":
      return v > t.value;
    case "<":
      return v < t.value;
    default:
      return v === t.value;
  }
}

/** Whether more memory can only help this target (bisection needs it): true for the usual ones. */
export function improvesWithMemory(t: Target): boolean {
  // hit ratio up, everything else (misses, OOM errors, evictions, latencies, DB load) down
  return t.metric === "hit_ratio" || t.metric === "keyspace_hits" ? t.op !== "<" && t.op !== "<=" : t.op !== ">" && t.op !== ">=";
}
