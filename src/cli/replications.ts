import { availableParallelism } from "node:os";
import { join } from "node:path";
import { InputError } from "../errors.ts";
import { csv } from "../io/output.ts";
import type { Summary } from "../metrics/columns.ts";
import { meanCi } from "../metrics/steady.ts";
import { runInWorkers } from "./pool.ts";

/*
 * `sim run --replications N`: the same scenario under N independent seeds (seed, seed+1, …), the
 * first in this thread and the others in worker threads at the same time. Each replication's steady
 * figures are one observation; their mean and the Student-t 95 % interval across them replace the
 * single run's batch-means figures in summary.csv (steady_note says so), the whole-run INFO counters
 * stay the first seed's, and replications.csv lists every seed's figures. Replications are the
 * textbook way to an interval that does not lean on batch means' independence assumption.
 */

/** The steady figures combined across replications (value and its _ci95 column). */
export const REPLICATED = [
  "steady_hit_ratio",
  "steady_evicted_per_s",
  "steady_expired_per_s",
  "steady_oom_rejected_per_s",
  "steady_p50_ms",
  "steady_p99_ms",
] as const;

/** Columns of replications.csv. */
const COLUMNS = ["seed", "steady_state", "warmup_s", ...REPLICATED.flatMap((c) => [c, `${c}_ci95`]), "hit_ratio", "evicted_keys", "oom_rejected_writes"];

export function checkReplications(n: number | undefined): number {
  if (n === undefined) return 1;
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new InputError(`--replications ${n}: must be a whole number from 1 to 1000`);
  return n;
}

/** Starts replications 2 … n (seeds base+1 …) in worker threads, each into <dir>/seed-<S>/; resolves to their summaries. */
export function startReplications(scenario: string, sets: readonly string[], baseSeed: number, n: number, dir: string, force = false): Promise<Summary[]> {
  const jobs = Array.from({ length: n - 1 }, (_, i) => ({ index: i, scenario, sets: [...sets], seed: (baseSeed + i + 1) % 2 ** 32, out: join(dir, `seed-${(baseSeed + i + 1) % 2 ** 32}`), force }));
  const out: Summary[] = new Array(jobs.length);
  // one core is this thread's (the first replication)
  const threads = Math.max(1, Math.min(jobs.length, availableParallelism() - 1));
  return runInWorkers(jobs, threads, (res) => {
    if (!res.ok) throw res.input ? new InputError(res.error ?? "a replication failed") : new Error(res.error ?? "a replication failed");
    out[res.index] = res.summary as Summary;
  }).then(() => out);
}

/**
 * The first replication's summary with the steady figures replaced by their means and 95 % intervals
 * across all replications; and replications.csv's text.
 */
export function combineReplications(first: Summary, others: readonly Summary[]): { summary: Summary; table: string } {
  const all = [first, ...others];
  const reached = all.filter((s) => s.steady_state === "reached");
  const summary: Summary = { ...first };
  const n = all.length;
  const seeds = `seeds ${all[0].seed}…${all[n - 1].seed}`;
  if (reached.length < n) {
    summary.steady_state = "not reached";
    summary.steady_note = `no steady state in ${n - reached.length} of ${n} replications (${seeds})${first.steady_state !== "reached" ? `: ${first.steady_note}` : ""}`;
    for (const c of REPLICATED) if (c in first) (summary as Record<string, string | number>)[c] = (summary as Record<string, string | number>)[`${c}_ci95`] = "";
    summary.warmup_s = "";
  } else {
    for (const c of REPLICATED) {
      if (!(c in first)) continue;
      const e = meanCi(all.map((s) => Number((s as Record<string, string | number>)[c])));
      (summary as Record<string, string | number>)[c] = round(e.value);
      (summary as Record<string, string | number>)[`${c}_ci95`] = round(e.ci95);
    }
    summary.warmup_s = Math.max(...all.map((s) => Number(s.warmup_s)));
    summary.steady_note = `means over ${n} replications (${seeds}), warm-up by MSER-5 in each; 95 % intervals across replications (Student t)`;
  }
  const rows = all.map((s) => COLUMNS.map((c) => (s as Record<string, string | number>)[c] ?? ""));
  return { summary, table: csv(COLUMNS, rows) };
}

const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : "");
