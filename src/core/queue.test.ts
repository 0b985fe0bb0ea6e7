import { describe, it, expect } from "vitest";
import { EventQueue, NORMAL, URGENT } from "./queue.ts";
import { Rng } from "./random.ts";

/** Pops everything, returning [time, kind, arg] triples in pop order. */
function drain(q: EventQueue): [number, number, number][] {
  const out: [number, number, number][] = [];
  while (q.size > 0) {
    q.pop();
    out.push([q.poppedTime, q.poppedKind, q.poppedArg]);
  }
  return out;
}

describe("EventQueue", () => {
  it("URGENT is 0 and NORMAL is 1 (lower runs first)", () => {
    expect(URGENT).toBe(0);
    expect(NORMAL).toBe(1);
  });

  it("new EventQueue() is empty: size 0, peekTime() Infinity", () => {
    const q = new EventQueue();
    expect(q.size).toBe(0);
    expect(q.peekTime()).toBe(Infinity);
  });

  it("pop() on an empty queue throws", () => {
    const q = new EventQueue();
    expect(() => q.pop()).toThrow();
  });

  it("push(5, NORMAL, 2, 7.5) then pop() exposes time 5, kind 2, arg 7.5", () => {
    const q = new EventQueue();
    q.push(5, NORMAL, 2, 7.5);
    expect(q.size).toBe(1);
    expect(q.peekTime()).toBe(5);
    q.pop();
    expect(q.size).toBe(0);
    expect(q.poppedTime).toBe(5);
    expect(q.poppedKind).toBe(2);
    expect(q.poppedArg).toBe(7.5);
  });

  it("pop() orders by time", () => {
    const q = new EventQueue();
    q.push(30, NORMAL, 3, 0);
    q.push(10, NORMAL, 1, 0);
    q.push(20, NORMAL, 2, 0);
    expect(q.peekTime()).toBe(10);
    expect(drain(q).map((e) => e[1])).toEqual([1, 2, 3]);
  });

  it("pop() at equal time and priority returns push order", () => {
    const q = new EventQueue();
    for (let i = 0; i < 200; i++) q.push(100, NORMAL, i % 7, i);
    expect(drain(q).map((e) => e[2])).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("pop() at equal time returns URGENT before NORMAL, whatever the push order", () => {
    const q = new EventQueue();
    q.push(50, NORMAL, 0, 1);
    q.push(50, NORMAL, 0, 2);
    q.push(50, URGENT, 0, 3);
    q.push(40, NORMAL, 0, 4);
    q.push(50, URGENT, 0, 5);
    q.push(60, URGENT, 0, 6);
    expect(drain(q).map((e) => e[2])).toEqual([4, 3, 5, 1, 2, 6]);
  });

  it("pop() orders an earlier NORMAL before a later URGENT", () => {
    const q = new EventQueue();
    q.push(11, URGENT, 0, 1);
    q.push(10, NORMAL, 0, 2);
    expect(drain(q).map((e) => e[2])).toEqual([2, 1]);
  });

  it("pop() of 5000 random pushes is sorted by (time, priority, push order)", () => {
    const rng = new Rng("queue-test");
    const q = new EventQueue();
    const pushed: { t: number; p: number; seq: number }[] = [];
    for (let i = 0; i < 5000; i++) {
      const t = rng.int(500); // many equal times
      const p = rng.int(2) === 0 ? URGENT : NORMAL;
      q.push(t, p, i % 1000, i);
      pushed.push({ t, p, seq: i });
    }
    expect(q.size).toBe(5000);
    const got = drain(q);
    expect(got.length).toBe(5000);
    const prio = new Map(pushed.map((e) => [e.seq, e.p]));
    const outOfOrder: string[] = [];
    for (let i = 1; i < got.length; i++) {
      const [ta, , a] = got[i - 1];
      const [tb, , b] = got[i];
      const pa = prio.get(a)!, pb = prio.get(b)!;
      const inOrder = ta < tb || (ta === tb && (pa < pb || (pa === pb && a < b)));
      if (!inOrder) outOfOrder.push(`#${i - 1} (${ta},${pa},${a}) before #${i} (${tb},${pb},${b})`);
    }
    expect(outOfOrder).toEqual([]);
    // every event came out exactly once, with its own time and kind
    const seen = new Set(got.map((e) => e[2]));
    expect(seen.size).toBe(5000);
    for (const [t, kind, seq] of got) {
      expect(t).toBe(pushed[seq].t);
      expect(kind).toBe(seq % 1000);
    }
  });

  it("pop() of interleaved pushes and pops returns the minimum each time", () => {
    const rng = new Rng("queue-interleaved");
    const q = new EventQueue();
    const mirror: number[] = [];
    for (let i = 0; i < 3000; i++) {
      if (mirror.length > 0 && rng.int(3) === 0) {
        q.pop();
        const min = Math.min(...mirror);
        expect(q.poppedTime).toBe(min);
        mirror.splice(mirror.indexOf(min), 1);
      } else {
        const t = rng.int(1_000_000);
        q.push(t, NORMAL, 0, i);
        mirror.push(t);
      }
      expect(q.size).toBe(mirror.length);
    }
  });
});
