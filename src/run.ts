import { US_PER_S } from "./core/time.ts";
import { HARD_ROWS } from "./scenario/bounds.ts";
import type { Plan } from "./parts/plan.ts";
import { Generator } from "./workload/generator.ts";
import { Request, type KeyRegistry, type RequestSource } from "./workload/request.ts";
import type { TraceReader } from "./workload/trace.ts";
import { materialize } from "./workload/materialize.ts";
import { Runner, type Nodes, type RunnerOptions, type RunResult } from "./parts/runner.ts";

/*
 * The drivers of a run: they make a Runner (parts/runner.ts: the wiring of the model's parts) and feed
 * it requests from a generated workload, a request source or a trace reader, synchronously (runPlan) or
 * handing control back to the host every few thousand requests (runPlanYielding). No file access and no
 * wall clock: the CLI passes sinks, a progress callback and the pause.
 */

export { Runner };
export type { Nodes, RunResult };

export interface RunOptions extends RunnerOptions {
  /** The request source for trace workloads (made by the caller, which owns the file). */
  source?: (reg: KeyRegistry) => RequestSource;
  /**
   * For runPlanYielding: hands control back to the host every few thousand requests and every
   * simulated minute without requests, so that it can stop the run (Ctrl-C: the promise rejects) or draw
   * progress. The model never reads a clock; the host decides how often it really yields.
   */
  pause?: () => Promise<void>;
  /** Told when a prewarm at 0 s starts loading (runPlanYielding): it can take seconds. */
  onPrewarm?: (fraction: number) => void;
  /** Several standalone servers in one run (a cluster comes from plan.cluster); one server from plan.redis if absent. */
  nodes?: Nodes;
}

/** The Runner of a plan: a trace without a duration may reach at most HARD_ROWS output intervals. */
function makeRunner(plan: Plan, opts: RunOptions): Runner {
  const endUs = plan.durationUs === Infinity ? HARD_ROWS * plan.intervalUs : plan.durationUs;
  return new Runner(plan, opts, endUs, opts.nodes);
}

/** Runs a generated workload (or a synchronous request source) to the end. */
export function runPlan(plan: Plan, opts: RunOptions = {}): RunResult {
  const runner = makeRunner(plan, opts);
  if (runner.server.opt !== null && plan.workload.kind === "generated") {
    // Belady needs the future: generate the whole workload first (materialize.ts).
    runner.feedBatch(materialize(plan, runner.streams, runner.registry));
    return runner.finish();
  }
  const source = requestSource(runner, plan, opts);
  const req = new Request();
  while (source.next(req) && runner.feed(req, source));
  return runner.finish();
}

/** The request source of a run that is not a trace reader's: the generator (wired for prewarm and the app), or opts.source. */
function requestSource(runner: Runner, plan: Plan, opts: RunOptions): RequestSource {
  const gen = plan.workload.kind === "trace" ? null : new Generator(plan, runner.streams, runner.registry);
  const source = gen ?? opts.source?.(runner.registry);
  if (!source) throw new Error("a trace workload needs a trace reader: use runPlanAsync");
  if (gen) runner.useSource(gen, (f, visit) => gen.hottestSteps(f, visit), (c, i) => gen.keyName(c, i));
  return source;
}

/** Runs a trace workload, pulling batches from the reader. */
export async function runPlanAsync(plan: Plan, trace: TraceReader, opts: RunOptions = {}): Promise<RunResult> {
  return runPlanYielding(plan, opts, trace);
}

/** Requests between two calls of `opts.pause` (about 5 ms of work at 1.5 M requests/s). */
const PAUSE_EVERY = 8192;
/** Simulated time advanced at most between two calls of `opts.pause` when no request comes (cron ticks, samples). */
const PAUSE_SPAN_US = 60 * US_PER_S;

/**
 * Runs any plan (generated or trace) like runPlan, but hands control to the host through `opts.pause`
 * every PAUSE_EVERY requests and every PAUSE_SPAN_US of simulated time without requests: the CLI stops
 * a run within a fraction of a second of Ctrl-C this way, where a synchronous loop would never see the
 * signal. Results are identical to runPlan's (pausing only splits the same sequence of events).
 */
export async function runPlanYielding(plan: Plan, opts: RunOptions = {}, trace?: TraceReader): Promise<RunResult> {
  const pause = opts.pause ?? (() => Promise.resolve());
  const runner = makeRunner(plan, opts);
  const catchUp = async (t: number) => {
    // fire the events of a long stretch without requests (or the run's tail) a slice at a time
    const sim = runner.sim;
    const end = Math.min(t, plan.durationUs);
    while (end - sim.now > PAUSE_SPAN_US && sim.nextEventTime() < end) {
      sim.advanceTo(Math.min(end, sim.now + PAUSE_SPAN_US));
      await pause();
    }
  };
  if (trace) {
    // a trace gives no hash slots: the key map hashes each new key's name (cluster/slots.ts)
    if (runner.keys !== null) runner.keys.nameOf = (k) => trace.keyName(k);
    for await (const batch of trace.batches(runner.registry)) {
      if (batch.n > 0) await catchUp(batch.t[0]);
      if (!runner.feedBatch(batch)) break;
      await pause();
    }
  } else if (runner.server.opt !== null && plan.workload.kind === "generated") {
    // Belady needs the future: generate the whole workload first (materialize.ts).
    await pause();
    runner.feedBatch(materialize(plan, runner.streams, runner.registry));
  } else {
    const source = requestSource(runner, plan, opts);
    // a prewarm at 0 s (sim init writes one) can take seconds for millions of keys: run it here in steps
    for (const fraction of runner.events.preemptPrewarms()) {
      opts.onPrewarm?.(fraction);
      const steps = runner.events.prewarmSteps(fraction);
      while (!steps.next().done) await pause();
    }
    const req = new Request();
    let n = 0;
    while (source.next(req)) {
      if (req.t - runner.sim.now > PAUSE_SPAN_US) await catchUp(req.t);
      if (!runner.feed(req, source)) break;
      if (++n === PAUSE_EVERY) {
        n = 0;
        await pause();
      }
    }
  }
  if (plan.durationUs !== Infinity) await catchUp(plan.durationUs);
  await pause();
  return runner.finish();
}
