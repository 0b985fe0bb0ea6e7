import type { Micros } from "./time.ts";

/** Event priorities: at equal time, lower runs first (SimPy's URGENT / NORMAL). */
export const URGENT = 0;
export const NORMAL = 1;

/**
 * A binary min-heap of events keyed by (time, priority, sequence). The sequence number is assigned at
 * scheduling, so events at the same time and priority fire in the order they were scheduled and every
 * run is reproducible. Payload is two integers (kind, arg); state lives in parallel typed arrays.
 */
export class EventQueue {
  private time = new Float64Array(64);
  private prio = new Uint8Array(64);
  private seq = new Float64Array(64);
  private kind = new Int32Array(64);
  private arg = new Float64Array(64);
  private nextSeq = 0;
  size = 0;

  push(at: Micros, priority: number, kind: number, arg: number): void {
    if (this.size === this.time.length) this.grow();
    let i = this.size++;
    const s = this.nextSeq++;
    // sift up
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(at, priority, s, p)) break;
      this.move(p, i);
      i = p;
    }
    this.time[i] = at;
    this.prio[i] = priority;
    this.seq[i] = s;
    this.kind[i] = kind;
    this.arg[i] = arg;
  }

  /** Time of the earliest event, or Infinity when empty. */
  peekTime(): Micros {
    return this.size > 0 ? this.time[0] : Infinity;
  }

  /** Removes the earliest event; its fields are readable in `popped*` until the next pop. */
  poppedTime = 0;
  poppedKind = 0;
  poppedArg = 0;
  pop(): void {
    if (this.size === 0) throw new Error("pop from an empty event queue");
    this.poppedTime = this.time[0];
    this.poppedKind = this.kind[0];
    this.poppedArg = this.arg[0];
    const last = --this.size;
    if (last === 0) return;
    const t = this.time[last], pr = this.prio[last], s = this.seq[last], k = this.kind[last], a = this.arg[last];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= last) break;
      const r = l + 1;
      const c = r < last && this.lessIdx(r, l) ? r : l;
      if (!this.less(this.time[c], this.prio[c], this.seq[c], -1, t, pr, s)) break;
      this.move(c, i);
      i = c;
    }
    this.time[i] = t;
    this.prio[i] = pr;
    this.seq[i] = s;
    this.kind[i] = k;
    this.arg[i] = a;
  }

  /** (at, prio, seq) < entry j, or < (t2, p2, s2) when j < 0. */
  private less(at: number, pr: number, s: number, j: number, t2 = 0, p2 = 0, s2 = 0): boolean {
    if (j >= 0) {
      t2 = this.time[j];
      p2 = this.prio[j];
      s2 = this.seq[j];
    }
    if (at !== t2) return at < t2;
    if (pr !== p2) return pr < p2;
    return s < s2;
  }

  private lessIdx(i: number, j: number): boolean {
    return this.less(this.time[i], this.prio[i], this.seq[i], j);
  }

  private move(from: number, to: number): void {
    this.time[to] = this.time[from];
    this.prio[to] = this.prio[from];
    this.seq[to] = this.seq[from];
    this.kind[to] = this.kind[from];
    this.arg[to] = this.arg[from];
  }

  private grow(): void {
    const n = this.time.length * 2;
    const g = <T extends Float64Array | Int32Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a);
      return b;
    };
    this.time = g(this.time, (n) => new Float64Array(n));
    this.prio = g(this.prio, (n) => new Uint8Array(n));
    this.seq = g(this.seq, (n) => new Float64Array(n));
    this.kind = g(this.kind, (n) => new Int32Array(n));
    this.arg = g(this.arg, (n) => new Float64Array(n));
  }
}
