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

import { markInterrupted, registeredCleanups, resetInterruptState, runCleanups } from "../io/interrupt.ts";
// The interrupt state and its signal-free pieces live in src/io/interrupt.ts (sim replay and sim calibrate
// read them there); the commands import them from here, beside the handlers that set it.
export { exitCodeFor, Interrupted, interruptedBy, interruptSignal, onInterrupt, throwIfInterrupted } from "../io/interrupt.ts";
import { exitCodeFor, interruptedBy, throwIfInterrupted } from "../io/interrupt.ts";

// pause and settle read the wall clock (how long since the last turn of the event loop): host-side, never the model
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

let installed = false;
let watchdogMessage = "interrupted; no result written";
/** Whether the CLI already printed the interrupt message (the watchdog then only ends the process). */
let reported = false;
/** Longest the watchdog waits for registered cleanups. */
const CLEANUP_MS = 2000;

/** What the watchdog prints if it has to end the process (a sweep keeps its finished points, …). */
export function setInterruptMessage(message: string): void {
  watchdogMessage = message;
}

function onSignal(signal: NodeJS.Signals): void {
  if (interruptedBy() !== null) {
    // a second Ctrl-C: end now (cleanups that are synchronous still run)
    for (const fn of registeredCleanups()) {
      try {
        void fn();
      } catch {
        /* ending */
      }
    }
    process.stderr.write(`\nsim: ${watchdogMessage}\n`);
    process.exit(exitCodeFor(signal));
  }
  markInterrupted(signal);
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
  resetInterruptState();
  watchdogMessage = "interrupted; no result written";
  reported = false;
}
