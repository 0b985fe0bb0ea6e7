import { cut, InputError } from "../errors.ts";
import { compile } from "./compile.ts";
import type { Scenario } from "./schema.ts";
import { formatDuration, parseFraction } from "../units.ts";

/*
 * Before running: an estimate of the work a scenario asks for, and a plain refusal of what cannot finish
 * or fit. Pure (no node:os, no clock): the caller passes the machine's memory.
 *
 *   requests  = Σ over phases of rate × phase duration (generated workloads; a trace's length is not
 *               known before it is read)
 *   rows      = duration / output.interval (timeseries.csv)
 *   memory    = the model's own memory: a base plus ~100 bytes per key id (keys of bounded classes,
 *               and the keys unbounded classes are expected to create), × the sampling rate; `opt` on a
 *               generated workload also holds the whole workload (~100 bytes per request)
 *
 * Limits: merely large runs (more than SOFT_REQUESTS requests, about two hours here, or more than
 * SOFT_ROWS rows) are refused unless the caller insists (`force`, the CLI's --force); runs that cannot
 * finish (more than HARD_REQUESTS: months) or fit (more rows than HARD_ROWS, a model larger than the
 * machine's memory) are refused always.
 */

/** The CLI flag that insists on a merely large run (and the option name of checkBounds). */
export const FORCE_OPTION = "force";
export const FORCE_FLAG = "--force";

/** Requests the model handles per second, roughly (measured: ~1.6 M/s generated; a database model costs more). */
export const REQUESTS_PER_SECOND = 1.5e6;
export const REQUESTS_PER_SECOND_WITH_DATABASE = 0.5e6;
/** Above this many requests a run takes hours: refused unless forced. */
export const SOFT_REQUESTS = 1e10;
/** Above this many requests a run takes months: refused always. */
export const HARD_REQUESTS = 1e13;
/** Timeseries rows above which the CSV runs to gigabytes: refused unless forced. */
export const SOFT_ROWS = 1e7;
/** Timeseries rows above which the output cannot be written or charted: refused always. */
export const HARD_ROWS = 1e8;
/** The model's memory: a base, per key id, and per request materialised for `opt`. */
export const BASE_BYTES = 200 * 1024 * 1024;
export const BYTES_PER_KEY = 100;
export const BYTES_PER_MATERIALISED_REQUEST = 100;

export interface BoundsOptions {
  /** Shown in messages (the scenario's path). */
  file?: string;
  /** Run a merely large scenario anyway (the CLI's --force); what cannot finish or fit is still refused. */
  force?: boolean;
  /** The machine's memory in bytes (os.totalmem()); absent or 0: the memory check is skipped. */
  totalMemory?: number;
}

export interface WorkEstimate {
  /** Requests of a generated workload (null for a trace: not known before it is read). */
  requests: number | null;
  /** Timeseries rows (null for a trace without a duration). */
  rows: number | null;
  /** Key ids the model holds (bounded classes, plus expected new keys of unbounded ones), after sampling. */
  keys: number;
  /** The model's memory, bytes. */
  memoryBytes: number;
  /** Wall time, seconds, at the model's usual speed (null with requests null). */
  seconds: number | null;
}

/** Numbers as a person reads them: 3.6e19, 2.5 M, 480. */
export function approx(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (n >= 1e9) return n.toPrecision(2).replace(/\.0(?=e)/, "").replace("e+", "e");
  if (n >= 1e6) return `${Number((n / 1e6).toPrecision(2))} M`;
  return String(Math.round(n));
}

/** A wall time in words: 40 s, 12 min, 3.5 hours, 9 days, 380 000 years. */
export function wallTime(s: number): string {
  if (!Number.isFinite(s)) return "forever";
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${(s / 3600).toPrecision(2).replace(/\.0$/, "")} hours`;
  if (s < 730 * 86400) return `${Math.round(s / 86400)} days`;
  const y = s / (365.25 * 86400);
  return `${y >= 1e6 ? approx(y) : Number(y.toPrecision(2)).toLocaleString("en-US").replace(/,/g, " ")} years`;
}

function gib(b: number): string {
  return b >= 1024 ** 3 ? `${(b / 1024 ** 3).toPrecision(3).replace(/\.?0+$/, "")} GB` : `${Math.round(b / 1024 ** 2)} MB`;
}

/** The work of a (validated) scenario. */
export function estimateWork(sc: Scenario): WorkEstimate {
  const plan = compile(sc);
  const trace = plan.workload.kind === "trace";
  let requests: number | null = null;
  if (!trace) {
    requests = 0;
    for (const p of plan.workload.phases) {
      const end = Math.min(p.endUs, plan.durationUs);
      if (end > p.startUs) requests += (p.rate * (end - p.startUs)) / 1e6;
    }
  }
  const rows = Number.isFinite(plan.durationUs) ? Math.floor(plan.durationUs / plan.intervalUs) : null;
  const sampling = plan.sampling;
  let keys = 0;
  const classes = sc.workload.classes ?? [];
  const totalShare = classes.reduce((a, c) => a + c.share, 0) || 1;
  for (const c of classes) {
    if (c.keys !== "unbounded") keys += c.keys;
    else if (requests !== null) {
      // an unbounded class creates a key per request (cache-aside) or per `new-keys` of them (explicit)
      const fresh = c["new-keys"] === undefined ? 1 : parseFraction(c["new-keys"]) ?? 1;
      keys += (requests * c.share * fresh) / totalShare;
    }
  }
  keys *= sampling;
  const opt = sc.redis["maxmemory-policy"] === "opt" && !trace;
  const memoryBytes = BASE_BYTES + keys * BYTES_PER_KEY + (opt && requests !== null ? requests * BYTES_PER_MATERIALISED_REQUEST : 0);
  const speed = sc.database ? REQUESTS_PER_SECOND_WITH_DATABASE : REQUESTS_PER_SECOND;
  return { requests, rows, keys, memoryBytes, seconds: requests === null ? null : requests / speed };
}

/**
 * Refuses (InputError, one line with the estimate) a scenario whose run cannot finish or fit, and one
 * that is merely large unless `force`. Returns the estimate otherwise.
 */
export function checkBounds(sc: Scenario, opts: BoundsOptions = {}): WorkEstimate {
  const file = opts.file ?? "scenario";
  const w = estimateWork(sc);
  const insist = `; give ${FORCE_FLAG} to run it anyway`;
  const what = (): string => {
    const phases = sc.workload.phases;
    if (phases && phases.length > 1) return `${phases.length} phases at up to ${approx(Math.max(...phases.map((p) => p.rate ?? sc.workload.rate ?? 0)))}/s`;
    const rate = phases?.[0]?.rate ?? sc.workload.rate ?? 0;
    return `rate ${approx(rate)}/s × duration ${durationText(sc)}`;
  };
  if (w.requests !== null && w.seconds !== null) {
    const est = `the run would simulate ${approx(w.requests)} requests (${what()}); at ~${approx(sc.database ? REQUESTS_PER_SECOND_WITH_DATABASE : REQUESTS_PER_SECOND)} requests/s that is ${wallTime(w.seconds)}`;
    if (w.requests > HARD_REQUESTS)
      throw new InputError(`${file}: ${est}; refusing (at most ${approx(HARD_REQUESTS)} requests: shorten the duration or lower the rate)`);
    if (w.requests > SOFT_REQUESTS && !opts.force)
      throw new InputError(`${file}: ${est}; refusing (the limit is ${approx(SOFT_REQUESTS)} requests, about ${wallTime(SOFT_REQUESTS / REQUESTS_PER_SECOND)})${insist}`);
  }
  if (w.rows !== null) {
    const est = `the run would write ${approx(w.rows)} timeseries rows (duration ${durationText(sc)} / output.interval ${show(sc.output.interval)})`;
    if (w.rows > HARD_ROWS) throw new InputError(`${file}: ${est}; refusing (at most ${approx(HARD_ROWS)} rows: give a longer output.interval)`);
    if (w.rows > SOFT_ROWS && !opts.force) throw new InputError(`${file}: ${est}; refusing (the limit is ${approx(SOFT_ROWS)} rows, gigabytes of CSV: give a longer output.interval)${insist}`);
  }
  if (opts.totalMemory && w.memoryBytes > opts.totalMemory) {
    const opt = sc.redis["maxmemory-policy"] === "opt" && w.requests !== null ? ` and the whole workload for opt (~${BYTES_PER_MATERIALISED_REQUEST} bytes × ${approx(w.requests)} requests)` : "";
    throw new InputError(
      `${file}: the model would need about ${gib(w.memoryBytes)} of memory (~${BYTES_PER_KEY} bytes × ${approx(w.keys)} keys${opt}), more than this machine's ${gib(opts.totalMemory)}; refusing (fewer keys, workload.sampling: 10% to simulate a sample of them, or a shorter run)`,
    );
  }
  return w;
}

function durationText(sc: Scenario): string {
  if (sc.duration !== undefined) return cut(String(sc.duration), 30);
  const plan = compile(sc);
  return Number.isFinite(plan.durationUs) ? formatDuration(Math.round(plan.durationUs)) : "(the trace's)";
}

function show(v: unknown): string {
  return cut(String(v), 30);
}
