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
  /** Where bisection stopped because the figure was within noise of the target (the band is noiseFrom … maxmemory). */
  noiseFrom?: number;
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

/**
 * `noisy(summary)`: the run's figure is within its 95 % interval of a target, so pass or fail there is
 * noise: such a size counts as failing (the answer errs on the safe side) and marks the start of the
 * band where the boundary lies. `indistinguishable(a, b)`: two sizes' figures differ by less than their
 * intervals: a smaller step between them would be guessing, so bisection stops there.
 */
export async function searchMaxmemory(
  run: RunAt,
  policy: string,
  targets: Target[],
  lo: number,
  hi: number,
  tolerance = 0.01,
  noisy: (s: Summary) => boolean = () => false,
  judge: (s: Summary) => boolean = (s) => targets.every((t) => meets(s, t)),
  judgeTop: (s: Summary) => boolean = judge,
  indistinguishable: (a: Summary, b: Summary) => boolean = () => false,
): Promise<PlanResult> {
  const runs: PlanResult["runs"] = [];
  const test = async (m: number, j = judge) => {
    const summary = await run(m, policy);
    const pass = j(summary) && !noisy(summary);
    runs.push({ maxmemory: m, policy, pass, summary });
    return { pass, summary };
  };
  let top = await test(hi, judgeTop);
  if (!top.pass) return { policy, maxmemory: -1, summary: top.summary, runs };
  let best = { m: hi, summary: top.summary };
  let low = await test(lo);
  if (low.pass) return { policy, maxmemory: lo, summary: low.summary, runs };
  let noiseFrom: number | undefined = noisy(low.summary) ? lo : undefined;
  while ((hi - lo) / hi > tolerance && !indistinguishable(low.summary, best.summary)) {
    const mid = Math.round((lo + hi) / 2);
    const r = await test(mid);
    if (r.pass) {
      hi = mid;
      best = { m: mid, summary: r.summary };
    } else {
      lo = mid;
      low = r;
      if (noisy(r.summary) && (noiseFrom === undefined || mid < noiseFrom)) noiseFrom = mid;
    }
  }
  if (noiseFrom === undefined && indistinguishable(low.summary, best.summary)) noiseFrom = lo;
  // a size someone would write, checked again
  const nice = niceSize(best.m);
  if (nice !== best.m) {
    top = await test(nice);
    if (top.pass) best = { m: nice, summary: top.summary };
  }
  return { policy, maxmemory: best.m, summary: best.summary, runs, noiseFrom };
}
