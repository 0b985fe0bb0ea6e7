import { parentPort } from "node:worker_threads";
import { InputError } from "../errors.ts";
import type { PointDone, PointJob } from "./pool.ts";
import { simRun } from "./run.ts";

/*
 * A sweep worker thread: runs the points it is sent, one at a time, each into its own result directory
 * (written atomically by simRun), and reports back.
 */

parentPort!.on("message", async (job: PointJob) => {
  try {
    const o = await simRun({ scenario: job.scenario, set: job.sets, out: job.out, quiet: true, charts: false, seed: job.seed, force: job.force, replications: 1 });
    parentPort!.postMessage({ index: job.index, ok: true, wallSeconds: o.wallSeconds, summary: o.summary } satisfies PointDone);
  } catch (e) {
    parentPort!.postMessage({ index: job.index, ok: false, input: e instanceof InputError, error: (e as Error).message } satisfies PointDone);
  }
});
