/*
 * The process's interrupt state, without the signal handlers: whether SIGINT or SIGTERM arrived, the
 * AbortSignal every long operation watches, the `Interrupted` error, the cleanups to run if the process
 * must end before a command unwinds. The CLI installs the handlers that set this state (src/cli/interrupt.ts,
 * which also re-exports these names for the commands); code under src/io/ (sim replay, sim calibrate)
 * reads it from here, so that it needs nothing from src/cli/.
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

/** Records that `signal` arrived and aborts interruptSignal() (the CLI's signal handler calls it, once). */
export function markInterrupted(signal: NodeJS.Signals): void {
  received = signal;
  controller.abort(new Interrupted(signal));
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

/** The registered cleanups, in registration order (the watchdog and a second Ctrl-C run them). */
export function registeredCleanups(): (() => void | Promise<void>)[] {
  return [...cleanups];
}

/** Runs the registered cleanups once each, in order, ignoring their failures (the process is ending). */
export async function runCleanups(): Promise<void> {
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

/** For tests: forget a received signal and the registered cleanups. */
export function resetInterruptState(): void {
  received = null;
  controller = new AbortController();
  cleanups.clear();
}
