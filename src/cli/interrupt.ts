/*
 * Ctrl-C and SIGTERM for every command. Node delivers a signal to JavaScript only when the event loop
 * runs, so a long synchronous simulation would never see it: the long loops (runs, sweeps, plans,
 * replays) hand control back with `pause()` every few tens of milliseconds, and `pause()` throws
 * `Interrupted` once a signal has arrived. The CLI's one catch turns that into "interrupted; no result
 * written" and exit 130 (SIGINT) or 143 (SIGTERM); `finally` blocks on the way out remove partial
 * directories and restore what a command changed on a real server (`onInterrupt`).
 *
 * Two safety nets: a command stuck in an await that never resolves is ended by a watchdog 800 ms after
 * the signal (after the registered cleanups ran), and a second Ctrl-C ends the process at once.
 */

export class Interrupted extends Error {
  readonly signal: NodeJS.Signals;
  constructor(signal: NodeJS.Signals, message = "interrupted; no result written") {
    super(message);
    this.name = "Interrupted";
    this.signal = signal;
  }
  get exitCode(): number {
    return exitCodeFor(this.signal);
  }
}

export const exitCodeFor = (signal: NodeJS.Signals): number => (signal === "SIGTERM" ? 143 : 130);

let controller = new AbortController();
let received: NodeJS.Signals | null = null;
let installed = false;
let watchdogMessage = "interrupted; no result written";
/** Whether the CLI already printed the interrupt message (the watchdog then only ends the process). */
let reported = false;
/** Longest the watchdog waits for registered cleanups. */
const CLEANUP_MS = 2000;
const cleanups = new Set<() => void | Promise<void>>();

/** The signal every long operation watches (aborted once SIGINT or SIGTERM arrived). */
export function interruptSignal(): AbortSignal {
  return controller.signal;
}

/** The signal received, if any. */
export function interruptedBy(): NodeJS.Signals | null {
  return received;
}

/** Throws `Interrupted` if a signal has arrived. */
export function throwIfInterrupted(message?: string): void {
  if (received !== null) throw new Interrupted(received, message);
}

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

let lastYield = 0;
/** How often `pause` really gives the event loop a turn (ms of work between turns). */
const YIELD_MS = 20;

/**
 * Hands control to the event loop (so a pending signal is seen) if YIELD_MS passed since the last time,
 * then throws if a signal arrived. Cheap enough to call every few thousand requests.
 */
export async function pause(): Promise<void> {
  const now = performance.now();
  if (now - lastYield >= YIELD_MS) {
    await immediate();
    lastYield = performance.now();
  }
  throwIfInterrupted();
}

/**
 * Before a result is moved into place: a full turn of the event loop (a timer, after the poll phase
 * where signals are read), so that a signal that arrived during the last synchronous stretch is seen,
 * then throws if one did. A result is committed only if no signal came before this.
 */
export async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  throwIfInterrupted();
}

/**
 * Registers work to do when the process is interrupted and cannot unwind in time (the watchdog), e.g.
 * restoring a real server's CONFIG. Returns a function that unregisters it (call it when the work was
 * done the ordinary way).
 */
export function onInterrupt(fn: () => void | Promise<void>): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** What the watchdog prints if it has to end the process (a sweep keeps its finished points, …). */
export function setInterruptMessage(message: string): void {
  watchdogMessage = message;
}

async function runCleanups(): Promise<void> {
  const fns = [...cleanups];
  cleanups.clear();
  for (const fn of fns) {
    try {
      await fn();
    } catch {
      // best effort: the process is ending
    }
  }
}

function onSignal(signal: NodeJS.Signals): void {
  if (received !== null) {
    // a second Ctrl-C: end now (cleanups that are synchronous still run)
    for (const fn of cleanups) {
      try {
        void fn();
      } catch {
        /* ending */
      }
    }
    process.stderr.write(`\nsim: ${watchdogMessage}\n`);
    process.exit(exitCodeFor(signal));
  }
  received = signal;
  controller.abort(new Interrupted(signal));
  const timer = setTimeout(() => {
    // the command did not unwind in time: run the registered cleanups (at most CLEANUP_MS more), then end
    const cap = new Promise<void>((resolve) => setTimeout(resolve, CLEANUP_MS).unref());
    void Promise.race([runCleanups(), cap]).finally(() => {
      if (!reported) process.stderr.write(`\nsim: ${watchdogMessage}\n`);
      process.exit(exitCodeFor(signal));
    });
  }, 800);
  timer.unref();
}

/** Installs the SIGINT and SIGTERM handlers (once per process; the CLI does it first thing). */
export function installInterruptHandlers(): void {
  if (installed) return;
  installed = true;
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** The CLI printed the interrupt message: the watchdog, if it fires, does not print it again. */
export function markInterruptReported(): void {
  reported = true;
}

/** For tests: forget a received signal. */
export function resetInterruptForTests(): void {
  received = null;
  controller = new AbortController();
  cleanups.clear();
  watchdogMessage = "interrupted; no result written";
  reported = false;
}
