import { Worker } from "node:worker_threads";
import { interruptedBy, interruptSignal } from "./interrupt.ts";

/** One job for a worker thread (src/cli/sweep-worker.ts): a `sim run` into its own directory. */
export interface PointJob {
  index: number;
  scenario: string;
  sets: string[];
  out: string;
  /** a replication's seed (sim run --replications) */
  seed?: number;
  /** --force (src/scenario/bounds.ts) */
  force?: boolean;
}

/** A worker's answer to one job. */
export interface PointDone {
  index: number;
  ok: boolean;
  error?: string;
  input?: boolean;
  wallSeconds?: number;
  /** the run's summary (for replications) */
  summary?: Record<string, string | number>;
}

/**
 * Runs `sim run` jobs (a sweep's points, a run's replications) in `jobs` worker threads, each job into
 * its own result directory, calling `onDone` as each finishes. On Ctrl-C the workers are terminated and
 * the promise resolves (the caller checks interruptedBy() and cleans up what the workers left).
 */
export async function runInWorkers(todo: readonly PointJob[], jobs: number, onDone: (res: PointDone) => void): Promise<void> {
  if (todo.length === 0) return;
  const queue = [...todo];
  const workers: Worker[] = [];
  const onAbort = () => {
    for (const w of workers) void w.terminate();
  };
  interruptSignal().addEventListener("abort", onAbort);
  try {
    await Promise.all(
      Array.from({ length: Math.min(jobs, todo.length) }, async () => {
        const w = new Worker(new URL("./sweep-worker-boot.mjs", import.meta.url));
        workers.push(w);
        try {
          for (let job = queue.shift(); job !== undefined && interruptedBy() === null; job = queue.shift()) onDone(await send(w, job));
        } finally {
          await w.terminate();
        }
      }),
    );
  } catch (e) {
    if (interruptedBy() === null) throw e;
  } finally {
    interruptSignal().removeEventListener("abort", onAbort);
  }
  if (interruptedBy() !== null) for (const w of workers) await w.terminate();
}

/** Sends one job to a worker and waits for its answer (or its failure). */
function send(w: Worker, job: PointJob): Promise<PointDone> {
  return new Promise<PointDone>((ok, fail) => {
    const off = () => {
      w.off("message", onMsg);
      w.off("error", onErr);
      w.off("exit", onExit);
    };
    const onMsg = (m: PointDone) => {
      off();
      ok(m);
    };
    const onErr = (e: Error) => {
      off();
      fail(e);
    };
    const onExit = () => {
      off();
      fail(new Error("the worker stopped"));
    };
    w.once("message", onMsg);
    w.once("error", onErr);
    w.once("exit", onExit);
    w.postMessage(job);
  });
}
