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
export { exitCodeFor, Interrupted, interruptedBy, interruptSignal, onInterrupt, pause, settle, throwIfInterrupted } from "../io/interrupt.ts";
import { exitCodeFor, interruptedBy } from "../io/interrupt.ts";

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
