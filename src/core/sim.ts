import { EventQueue, NORMAL } from "./queue.ts";
import type { Micros } from "./time.ts";

export type Handler = (arg: number, now: Micros) => void;

/**
 * The discrete-event kernel: a clock, a queue of timed events and handlers by kind. It knows nothing of
 * Redis. Requests are not queued as events: a driver calls `advanceTo(t)` before applying a request at
 * time t, which fires every event due at or before t first (so a cron tick at the same microsecond as a
 * request runs before it), then sets `now = t`.
 */
export class Sim {
  now: Micros = 0;
  private readonly queue = new EventQueue();
  private readonly handlers: Handler[] = [];

  /** Registers a handler and returns the integer kind to schedule it by. */
  on(handler: Handler): number {
    this.handlers.push(handler);
    return this.handlers.length - 1;
  }

  /** Schedules event `kind` at absolute time `at` (never in the past). */
  at(at: Micros, kind: number, arg = 0, priority = NORMAL): void {
    if (!(at >= this.now)) throw new Error(`cannot schedule at ${at} µs: now is ${this.now} µs`);
    this.queue.push(at, priority, kind, arg);
  }

  /** Schedules event `kind` after `delay` microseconds. */
  after(delay: Micros, kind: number, arg = 0, priority = NORMAL): void {
    this.at(this.now + delay, kind, arg, priority);
  }

  /** Time of the next pending event (Infinity if none). */
  nextEventTime(): Micros {
    return this.queue.peekTime();
  }

  /** Fires, in order, every event due at or before `t`, then moves the clock to `t`. */
  advanceTo(t: Micros): void {
    const q = this.queue;
    while (q.size > 0 && q.peekTime() <= t) {
      q.pop();
      this.now = q.poppedTime;
      this.handlers[q.poppedKind](q.poppedArg, this.now);
    }
    if (t > this.now) this.now = t;
  }
}
