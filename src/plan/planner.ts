import type { Summary } from "../metrics/columns.ts";
import { meets, type Target } from "./targets.ts";

/*
 * `sim plan`'s search, independent of how a point is run: the smallest maxmemory (per policy) whose
 * run meets every target. The targets improve with memory (hit ratio up; OOM errors, evictions,
 * latencies down), so the pass/fail boundary is found by bisection between a size that fails and one
 * that passes, to within `tolerance` (relative). Runs are deterministic (the same seed at every size),
 * so a result is reproducible; the workload's randomness can still make the curve not quite monotone
 * near the boundary, which is why the answer is checked again at the end (and 5 % below it).
 */

export type RunAt = (maxmemory: number, policy: string) => Summary | Promise<Summary>;

export interface PlanResult {
  policy: string;
  /** Smallest passing maxmemory found (bytes), or −1 when even `hi` fails. */
  maxmemory: number;
  summary: Summary | null;
  /** Every run made: size, policy, pass, summary. */
  runs: { maxmemory: number; policy: string; pass: boolean; summary: Summary }[];
}

/**
 * Rounds up to a size someone would write in redis.conf, adding at most ~3 %: whole MiB from 32 MiB,
 * 256 KiB steps from 4 MiB, else 16 KiB steps.
 */
export function niceSize(bytes: number): number {
  const step = bytes >= 32 * 1024 * 1024 ? 1024 * 1024 : bytes >= 4 * 1024 * 1024 ? 256 * 1024 : 16 * 1024;
  return Math.ceil(bytes / step) * step;
}

export async function searchMaxmemory(run: RunAt, policy: string, targets: Target[], lo: number, hi: number, tolerance = 0.01): Promise<PlanResult> {
  const runs: PlanResult["runs"] = [];
  const test = async (m: number) => {
    const summary = await run(m, policy);
    const pass = targets.every((t) => meets(summary, t));
    runs.push({ maxmemory: m, policy, pass, summary });
    return { pass, summary };
  };
  let top = await test(hi);
  if (!top.pass) return { policy, maxmemory: -1, summary: top.summary, runs };
  let best = { m: hi, summary: top.summary };
  if ((await test(lo)).pass) return { policy, maxmemory: lo, summary: runs[runs.length - 1].summary, runs };
  while ((hi - lo) / hi > tolerance) {
    const mid = Math.round((lo + hi) / 2);
    const r = await test(mid);
    if (r.pass) {
      hi = mid;
      best = { m: mid, summary: r.summary };
    } else lo = mid;
  }
  // a size someone would write, checked again
  const nice = niceSize(best.m);
  if (nice !== best.m) {
    top = await test(nice);
    if (top.pass) best = { m: nice, summary: top.summary };
  }
  return { policy, maxmemory: best.m, summary: best.summary, runs };
}
