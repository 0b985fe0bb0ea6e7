import { describe, it, expect } from "vitest";
import { NO_KEY } from "./keyspace.ts";
import { EVPOOL_SIZE, EvictionPool } from "./pool.ts";

/* docs/model.md §4.3 step 3: insertion of one sampled key into the 16-entry pool. */

/** The pool's occupied prefix as [score, key, db] triples, left (worst) to right (best victim). */
function entries(p: EvictionPool): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (let i = 0; i < EVPOOL_SIZE; i++) if (p.key[i] !== NO_KEY) out.push([p.score[i], p.key[i], p.db[i]]);
  return out;
}

/** A full pool with scores 10, 20, …, 160 and keys 1..16 (key i has score 10·i), db 0. */
function fullPool(): EvictionPool {
  const p = new EvictionPool();
  for (let i = 1; i <= 16; i++) p.insert(10 * i, i, 0);
  return p;
}

describe("EvictionPool", () => {
  it("EVPOOL_SIZE is 16", () => {
    expect(EVPOOL_SIZE).toBe(16);
  });

  it("new EvictionPool() is empty", () => {
    const p = new EvictionPool();
    expect(p.size).toBe(0);
    expect(entries(p)).toEqual([]);
  });

  it("insert(42, 7, 3) into an empty pool puts it in slot 0", () => {
    const p = new EvictionPool();
    p.insert(42, 7, 3);
    expect(p.size).toBe(1);
    expect(p.score[0]).toBe(42);
    expect(p.key[0]).toBe(7);
    expect(p.db[0]).toBe(3);
    expect(p.key[1]).toBe(NO_KEY);
  });

  it("insert keeps scores ascending whatever the insertion order", () => {
    const p = new EvictionPool();
    const order = [50, 10, 40, 30, 20];
    for (const s of order) p.insert(s, s, 0);
    expect(entries(p)).toEqual([
      [10, 10, 0],
      [20, 20, 0],
      [30, 30, 0],
      [40, 40, 0],
      [50, 50, 0],
    ]);
  });

  it("insert(20, …) into [10, 30] shifts 30 right", () => {
    const p = new EvictionPool();
    p.insert(10, 1, 0);
    p.insert(30, 3, 1);
    p.insert(20, 2, 2);
    expect(entries(p)).toEqual([
      [10, 1, 0],
      [20, 2, 2],
      [30, 3, 1],
    ]);
  });

  it("insert of 16 scores 160, 150, …, 10 (descending) fills the pool sorted", () => {
    const p = new EvictionPool();
    for (let i = 16; i >= 1; i--) p.insert(10 * i, i, 0);
    expect(p.size).toBe(16);
    expect(Array.from(p.score)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160]);
    expect(Array.from(p.key)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it("insert(55, 99, 1) into a full pool drops slot 0 and lands left of 60", () => {
    const p = fullPool();
    p.insert(55, 99, 1);
    expect(p.size).toBe(16);
    expect(Array.from(p.score)).toEqual([20, 30, 40, 50, 55, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160]);
    expect(Array.from(p.key)).toEqual([2, 3, 4, 5, 99, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    expect(p.db[4]).toBe(1);
    expect(p.db[3]).toBe(0);
  });

  it("insert(1000, 99, 0) into a full pool (better than all) drops slot 0 and lands in slot 15", () => {
    const p = fullPool();
    p.insert(1000, 99, 0);
    expect(Array.from(p.score)).toEqual([20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160, 1000]);
    expect(p.key[15]).toBe(99);
    expect(p.key[0]).toBe(2);
  });

  it("insert(15, 99, 0) into a full pool (just above the worst) replaces slot 0", () => {
    const p = fullPool();
    p.insert(15, 99, 0);
    expect(Array.from(p.score)).toEqual([15, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160]);
    expect(p.key[0]).toBe(99);
  });

  it("insert(5, 99, 0) into a full pool (worse than all) is refused", () => {
    const p = fullPool();
    p.insert(5, 99, 0);
    expect(Array.from(p.score)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160]);
    expect(Array.from(p.key)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it("insert(10, 99, 0) into a full pool whose worst score is 10 is refused (k = 0, pool full)", () => {
    const p = fullPool();
    p.insert(10, 99, 0);
    expect(Array.from(p.key)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  });

  it("insert(5, 99, 0) into a pool that is not full goes to slot 0", () => {
    const p = new EvictionPool();
    for (let i = 1; i <= 15; i++) p.insert(10 * i, i, 0);
    p.insert(5, 99, 0);
    expect(p.size).toBe(16);
    expect(p.key[0]).toBe(99);
    expect(Array.from(p.key.subarray(1))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });

  it("insert of an equal score lands LEFT of the existing equals (oldest insertion rightmost)", () => {
    const p = new EvictionPool();
    p.insert(10, 1, 0);
    p.insert(20, 2, 0);
    p.insert(30, 3, 0);
    p.insert(20, 4, 0); // newcomer with a tie
    p.insert(20, 5, 0); // another one
    expect(entries(p)).toEqual([
      [10, 1, 0],
      [20, 5, 0],
      [20, 4, 0],
      [20, 2, 0],
      [30, 3, 0],
    ]);
  });

  it("insert of 5 equal scores: the first inserted is at the right, evicted first", () => {
    const p = new EvictionPool();
    for (let k = 1; k <= 5; k++) p.insert(7, k, 0);
    expect(Array.from(p.key.subarray(0, 5))).toEqual([5, 4, 3, 2, 1]);
  });

  it("insert of an equal score into a full pool of equals is refused", () => {
    const p = new EvictionPool();
    for (let k = 1; k <= 16; k++) p.insert(7, k, 0);
    expect(Array.from(p.key)).toEqual([16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    p.insert(7, 99, 0);
    expect(Array.from(p.key)).toEqual([16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it("insert of a tie into a full pool: [1, 7×15] + 7 drops the 1 and lands left of the 7s", () => {
    const p = new EvictionPool();
    p.insert(1, 100, 0);
    for (let k = 1; k <= 15; k++) p.insert(7, k, 0);
    p.insert(7, 99, 0);
    expect(Array.from(p.score)).toEqual(new Array(16).fill(7));
    expect(Array.from(p.key)).toEqual([99, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it("insert of a tie into a full pool mid-way: [10..160] + 50 lands left of the old 50", () => {
    const p = fullPool();
    p.insert(50, 99, 0);
    expect(Array.from(p.score)).toEqual([20, 30, 40, 50, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150, 160]);
    expect(Array.from(p.key.subarray(0, 6))).toEqual([2, 3, 4, 99, 5, 6]);
  });

  it("insert of the same key twice keeps both entries (no de-duplication)", () => {
    const p = new EvictionPool();
    p.insert(10, 7, 0);
    p.insert(30, 7, 0);
    p.insert(20, 8, 0);
    expect(entries(p)).toEqual([
      [10, 7, 0],
      [20, 8, 0],
      [30, 7, 0],
    ]);
  });

  it("insert of the same key with the same score twice keeps both entries", () => {
    const p = new EvictionPool();
    p.insert(10, 7, 2);
    p.insert(10, 7, 2);
    expect(p.size).toBe(2);
    expect(entries(p)).toEqual([
      [10, 7, 2],
      [10, 7, 2],
    ]);
  });

  it("insert of many candidates keeps the 16 best, sorted", () => {
    const p = new EvictionPool();
    // scores 1..100 in a scrambled but fixed order (37 is coprime with 100)
    for (let i = 0; i < 100; i++) {
      const s = ((i * 37) % 100) + 1;
      p.insert(s, s, 0);
    }
    expect(Array.from(p.score)).toEqual([85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100]);
  });
});
