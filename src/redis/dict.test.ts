import { describe, it, expect } from "vitest";
import {
  DICT_FORCE_RESIZE_RATIO,
  DICT_HT_INITIAL_SIZE,
  DictModel,
  HASHTABLE_MAX_LOAD_FACTOR,
  HASHTABLE_MIN_FILL,
  RESIZE_AVOID,
  RESIZE_ENABLE,
  type ExpandAllowed,
} from "./dict.ts";

/* docs/model.md §7.4: dict bucket arrays (8 bytes a slot), growth, incremental rehash, shrink. */

/** Adds n entries, completing any rehash after each add, so size0 shows the steady table. */
function addSettled(d: DictModel, n: number, resize = RESIZE_ENABLE, allowed: ExpandAllowed | null = null): void {
  for (let i = 0; i < n; i++) {
    d.add(resize, allowed);
    d.rehashBuckets(1e12);
  }
}

/** Removes n entries, completing any rehash after each removal. */
function removeSettled(d: DictModel, n: number): void {
  for (let i = 0; i < n; i++) {
    d.remove();
    d.rehashBuckets(1e12);
  }
}

/**
 * server.c dictExpandAllowed when the new table would push memory over maxmemory: refuse while the load
 * factor is ≤ 1.618, allow above it. Records every call.
 */
function overLimit(calls: [number, number][]): ExpandAllowed {
  return (moreMem, ratio) => {
    calls.push([moreMem, ratio]);
    return ratio > 1.618;
  };
}

describe("constants (§7.4)", () => {
  it("DICT_HT_INITIAL_SIZE is 4", () => {
    expect(DICT_HT_INITIAL_SIZE).toBe(4);
  });
  it("DICT_FORCE_RESIZE_RATIO is 5", () => {
    expect(DICT_FORCE_RESIZE_RATIO).toBe(5);
  });
  it("HASHTABLE_MIN_FILL is 10", () => {
    expect(HASHTABLE_MIN_FILL).toBe(10);
  });
  it("HASHTABLE_MAX_LOAD_FACTOR is 1.618", () => {
    expect(HASHTABLE_MAX_LOAD_FACTOR).toBe(1.618);
  });
});

describe("DictModel.add", () => {
  it("new DictModel() has no table (0 bytes)", () => {
    const d = new DictModel();
    expect(d.size0).toBe(0);
    expect(d.size1).toBe(0);
    expect(d.bytes).toBe(0);
    expect(d.rehashing).toBe(false);
  });

  it("add() on an empty dict allocates 4 slots and returns 32", () => {
    const d = new DictModel();
    expect(d.add(RESIZE_ENABLE, null)).toBe(32);
    expect(d.size0).toBe(4);
    expect(d.bytes).toBe(32);
    expect(d.used).toBe(1);
    expect(d.rehashing).toBe(false);
  });

  it("add() on an empty dict allocates 4 slots even when expandAllowed refuses", () => {
    const d = new DictModel();
    expect(d.add(RESIZE_ENABLE, () => false)).toBe(32);
    expect(d.size0).toBe(4);
  });

  it("add() on an empty dict allocates 4 slots even with RESIZE_AVOID", () => {
    const d = new DictModel();
    expect(d.add(RESIZE_AVOID, null)).toBe(32);
    expect(d.size0).toBe(4);
  });

  it("add() × 4 stays at 4 slots (32 bytes)", () => {
    const d = new DictModel();
    const deltas: number[] = [];
    for (let i = 0; i < 4; i++) deltas.push(d.add(RESIZE_ENABLE, null));
    expect(deltas).toEqual([32, 0, 0, 0]);
    expect(d.size0).toBe(4);
    expect(d.bytes).toBe(32);
    expect(d.rehashing).toBe(false);
  });

  it("add() of the 5th key (used 4 ≥ size 4) starts a rehash into 8 slots: +64, bytes 96", () => {
    const d = new DictModel();
    for (let i = 0; i < 4; i++) d.add(RESIZE_ENABLE, null);
    expect(d.add(RESIZE_ENABLE, null)).toBe(64);
    expect(d.rehashing).toBe(true);
    expect(d.size0).toBe(4);
    expect(d.size1).toBe(8);
    expect(d.slots).toBe(12);
    expect(d.bytes).toBe(96); // 8 × (4 + 8)
    expect(d.used).toBe(5);
  });

  it("add() grows by doubling: slots = smallest power of two ≥ keys (min 4)", () => {
    const d = new DictModel();
    // [keys, slots], written out by hand
    const checkpoints: [number, number][] = [
      [1, 4], [4, 4], [5, 8], [8, 8], [9, 16], [16, 16], [17, 32], [32, 32], [33, 64],
      [100, 128], [128, 128], [129, 256], [1000, 1024], [1024, 1024], [1025, 2048], [5000, 8192],
    ];
    let n = 0;
    for (const [keys, slots] of checkpoints) {
      addSettled(d, keys - n);
      n = keys;
      expect(d.size0, `${keys} keys`).toBe(slots);
      expect(d.bytes, `${keys} keys`).toBe(8 * slots);
    }
  });

  it("add() during a rehash counts both tables: bytes = 8 × (size0 + size1)", () => {
    const d = new DictModel();
    addSettled(d, 16); // 16 slots, full
    expect(d.bytes).toBe(128);
    expect(d.add(RESIZE_ENABLE, null)).toBe(256); // new 32-slot table
    expect(d.size0).toBe(16);
    expect(d.size1).toBe(32);
    expect(d.bytes).toBe(384); // 8 × (16 + 32)
  });

  it("add() does not start another expansion while rehashing (although used ≥ size0)", () => {
    const d = new DictModel();
    addSettled(d, 4);
    d.add(RESIZE_ENABLE, null); // 4 → 8 rehash starts; used 5 ≥ size0 4 from now on
    expect(d.size1).toBe(8);
    let adds = 0;
    while (d.rehashing && adds < 4) {
      d.add(RESIZE_ENABLE, null);
      adds++;
      if (d.rehashing) {
        expect(d.size0).toBe(4);
        expect(d.size1).toBe(8);
      }
    }
    expect(d.rehashing).toBe(false);
    expect(d.size0).toBe(8);
    expect(d.size1).toBe(0);
  });

  it("add() passes expandAllowed (8 × new slots, used / size): (64, 1) at the 5th key", () => {
    const d = new DictModel();
    const calls: [number, number][] = [];
    const allowed: ExpandAllowed = (moreMem, ratio) => {
      calls.push([moreMem, ratio]);
      return true;
    };
    for (let i = 0; i < 4; i++) d.add(RESIZE_ENABLE, allowed);
    expect(calls).toEqual([]);
    d.add(RESIZE_ENABLE, allowed);
    expect(calls).toEqual([[64, 1]]);
  });
});

describe("DictModel.rehashBuckets", () => {
  it("rehashBuckets(4) after 4 → 8 completes, frees table 0 (−32) and leaves 8 slots", () => {
    const d = new DictModel();
    for (let i = 0; i < 5; i++) d.add(RESIZE_ENABLE, null);
    expect(d.rehashing).toBe(true);
    expect(d.rehashBuckets(4)).toBe(-32);
    expect(d.rehashing).toBe(false);
    expect(d.size0).toBe(8);
    expect(d.size1).toBe(0);
    expect(d.bytes).toBe(64);
  });

  it("rehashBuckets(2) of a 4-slot table 0 is partial: returns 0, both tables stay", () => {
    const d = new DictModel();
    for (let i = 0; i < 5; i++) d.add(RESIZE_ENABLE, null);
    expect(d.rehashBuckets(2)).toBe(0);
    expect(d.rehashing).toBe(true);
    expect(d.bytes).toBe(96);
    expect(d.rehashBuckets(2)).toBe(-32);
    expect(d.bytes).toBe(64);
  });

  it("rehashBuckets(n) when not rehashing returns 0 and changes nothing", () => {
    const d = new DictModel();
    addSettled(d, 3);
    expect(d.rehashBuckets(100)).toBe(0);
    expect(d.size0).toBe(4);
    expect(d.bytes).toBe(32);
  });

  it("rehashStep() eventually finishes a rehash started by add (adds keep migrating)", () => {
    const d = new DictModel();
    addSettled(d, 64);
    d.add(RESIZE_ENABLE, null); // 64 → 128
    expect(d.bytes).toBe(8 * (64 + 128));
    let ops = 0;
    let freed = 0;
    while (d.rehashing && ops < 64) {
      freed += d.rehashStep();
      ops++;
    }
    expect(d.rehashing).toBe(false);
    expect(freed).toBe(-512); // 8 × 64
    expect(d.bytes).toBe(1024);
  });
});

describe("DictModel.add with expandAllowed refusing (near maxmemory)", () => {
  it("add() with expandAllowed always false keeps the table (4 slots) at used ≥ size", () => {
    const d = new DictModel();
    addSettled(d, 4);
    for (let i = 0; i < 3; i++) expect(d.add(RESIZE_ENABLE, () => false)).toBe(0);
    expect(d.size0).toBe(4);
    expect(d.rehashing).toBe(false);
    expect(d.used).toBe(7);
  });

  it("add() keeps 4 slots while load ≤ 1.618 and grows at load > 1.618 (7/4 = 1.75) to 8", () => {
    const d = new DictModel();
    const calls: [number, number][] = [];
    const allowed = overLimit(calls);
    addSettled(d, 4, RESIZE_ENABLE, allowed);
    // adds 5, 6, 7 see load 4/4, 5/4, 6/4 (≤ 1.618): refused
    addSettled(d, 3, RESIZE_ENABLE, allowed);
    expect(d.size0).toBe(4);
    expect(d.used).toBe(7);
    // add 8 sees load 7/4 = 1.75 > 1.618: grows to the smallest power of two ≥ 8
    const delta = d.add(RESIZE_ENABLE, allowed);
    expect(delta).toBe(64);
    expect(d.size1).toBe(8);
    expect(calls).toEqual([
      [64, 1],
      [64, 1.25],
      [64, 1.5],
      [64, 1.75],
    ]);
  });

  it("add() at 1024 slots holds until used 1657 (1657/1024 > 1.618), then grows to 2048", () => {
    // 1.618 × 1024 = 1656.8: loads 1024/1024 … 1656/1024 = 1.6172 are refused; 1657/1024 = 1.6182 is not.
    const d = new DictModel();
    const calls: [number, number][] = [];
    addSettled(d, 1024);
    expect(d.size0).toBe(1024);
    addSettled(d, 1657 - 1024, RESIZE_ENABLE, overLimit(calls));
    expect(d.size0).toBe(1024);
    expect(d.used).toBe(1657);
    d.add(RESIZE_ENABLE, overLimit(calls));
    expect(d.size1).toBe(2048);
    expect(d.bytes).toBe(8 * (1024 + 2048));
  });
});

describe("DictModel.shrinkIfNeeded", () => {
  function dictWith64SlotsAnd(used: number): DictModel {
    const d = new DictModel();
    addSettled(d, 33); // 33 keys → 64 slots
    expect(d.size0).toBe(64);
    removeSettled(d, 33 - used);
    expect(d.used).toBe(used);
    expect(d.size0).toBe(64); // deletes never shrink by themselves
    return d;
  }

  it("shrinkIfNeeded(RESIZE_ENABLE) at 7/64 (10.9 %) does nothing", () => {
    const d = dictWith64SlotsAnd(7);
    expect(d.shrinkIfNeeded(RESIZE_ENABLE)).toBe(0);
    expect(d.rehashing).toBe(false);
    expect(d.size0).toBe(64);
  });

  it("shrinkIfNeeded(RESIZE_ENABLE) at 6/64 (9.4 %) rehashes into 8 slots: +64, then −512", () => {
    const d = dictWith64SlotsAnd(6);
    expect(d.shrinkIfNeeded(RESIZE_ENABLE)).toBe(64);
    expect(d.rehashing).toBe(true);
    expect(d.size1).toBe(8);
    expect(d.bytes).toBe(8 * (64 + 8));
    expect(d.rehashBuckets(64)).toBe(-512);
    expect(d.size0).toBe(8);
    expect(d.bytes).toBe(64);
  });

  it("shrinkIfNeeded(RESIZE_ENABLE) at 2/64 rehashes into 4 slots (minimum 4)", () => {
    const d = dictWith64SlotsAnd(2);
    expect(d.shrinkIfNeeded(RESIZE_ENABLE)).toBe(32);
    expect(d.size1).toBe(4);
  });

  it("shrinkIfNeeded(RESIZE_ENABLE) at 0/64 rehashes into 4 slots", () => {
    const d = dictWith64SlotsAnd(0);
    expect(d.shrinkIfNeeded(RESIZE_ENABLE)).toBe(32);
    expect(d.size1).toBe(4);
  });

  it("shrinkIfNeeded(RESIZE_ENABLE) at 12/128 (9.4 %) rehashes into 16 slots", () => {
    const d = new DictModel();
    addSettled(d, 65); // 128 slots
    expect(d.size0).toBe(128);
    removeSettled(d, 65 - 12);
    expect(d.shrinkIfNeeded(RESIZE_ENABLE)).toBe(128);
    expect(d.size1).toBe(16);
  });

  it("shrinkIfNeeded(RESIZE_ENABLE) at 13/128 (10.2 %) does nothing", () => {
    const d = new DictModel();
    addSettled(d, 65);
    removeSettled(d, 65 - 13);
    expect(d.shrinkIfNeeded(RESIZE_ENABLE)).toBe(0);
    expect(d.size0).toBe(128);
  });

  it("shrinkIfNeeded(RESIZE_ENABLE) on a 4-slot table with 0 keys does nothing (size must be > 4)", () => {
    const d = new DictModel();
    addSettled(d, 1);
    removeSettled(d, 1);
    expect(d.size0).toBe(4);
    expect(d.shrinkIfNeeded(RESIZE_ENABLE)).toBe(0);
    expect(d.size0).toBe(4);
    expect(d.rehashing).toBe(false);
  });

  it("shrinkIfNeeded(RESIZE_ENABLE) on an 8-slot table with 0 keys shrinks to 4", () => {
    const d = new DictModel();
    addSettled(d, 5);
    expect(d.size0).toBe(8);
    removeSettled(d, 5);
    expect(d.shrinkIfNeeded(RESIZE_ENABLE)).toBe(32);
    expect(d.size1).toBe(4);
  });

  it("shrinkIfNeeded(RESIZE_AVOID) at 0/64 does nothing", () => {
    const d = dictWith64SlotsAnd(0);
    expect(d.shrinkIfNeeded(RESIZE_AVOID)).toBe(0);
    expect(d.rehashing).toBe(false);
    expect(d.size0).toBe(64);
    expect(d.bytes).toBe(512);
  });

  it("shrinkIfNeeded(RESIZE_ENABLE) while rehashing does nothing", () => {
    const d = dictWith64SlotsAnd(2);
    d.shrinkIfNeeded(RESIZE_ENABLE); // 64 → 4 started
    expect(d.shrinkIfNeeded(RESIZE_ENABLE)).toBe(0);
    expect(d.size0).toBe(64);
    expect(d.size1).toBe(4);
  });
});

describe("DictModel.add with RESIZE_AVOID (fork child active)", () => {
  it("add(RESIZE_AVOID) keeps 4 slots up to 24 keys (floor(used/4) ≤ 5)", () => {
    const d = new DictModel();
    addSettled(d, 24, RESIZE_AVOID);
    expect(d.size0).toBe(4);
    expect(d.size1).toBe(0);
    expect(d.bytes).toBe(32);
  });

  it("add(RESIZE_AVOID) of the 25th key (floor(24/4) = 6 > 5) expands to 32 slots", () => {
    const d = new DictModel();
    addSettled(d, 24, RESIZE_AVOID);
    expect(d.add(RESIZE_AVOID, null)).toBe(256); // smallest power of two ≥ 25 = 32 → 8 × 32
    expect(d.size1).toBe(32);
    expect(d.bytes).toBe(8 * (4 + 32));
  });

  it("add(RESIZE_AVOID) at 8 slots holds until used 48, expands at the 49th key to 64", () => {
    const d = new DictModel();
    addSettled(d, 8); // 8 slots
    expect(d.size0).toBe(8);
    addSettled(d, 40, RESIZE_AVOID); // 48 keys: floor(47/8) = 5 at the last add → no expansion
    expect(d.size0).toBe(8);
    expect(d.used).toBe(48);
    d.add(RESIZE_AVOID, null); // floor(48/8) = 6 > 5
    expect(d.size1).toBe(64);
  });

  it("add(RESIZE_AVOID) above the ratio still asks expandAllowed", () => {
    const d = new DictModel();
    addSettled(d, 24, RESIZE_AVOID);
    expect(d.add(RESIZE_AVOID, () => false)).toBe(0);
    expect(d.size0).toBe(4);
    expect(d.rehashing).toBe(false);
  });
});
