import { describe, it, expect } from "vitest";
import { SIM_EPOCH_MS } from "../core/time.ts";
import { LRU_BITS, LRU_CLOCK_MAX, LRU_CLOCK_RESOLUTION_MS, estimateObjectIdleTime, lruClockAt } from "./lru.ts";

/*
 * docs/model.md §1 and §2.1: LRU clock = (Unix ms / 1000) mod 2^24; idle estimate in ms, a multiple of 1000,
 * with the wrap-around adding LRU_CLOCK_MAX (2^24 − 1) instead of 2^24.
 *
 * SIM_EPOCH_MS = 1 704 067 200 000 → 1 704 067 200 s; 1 704 067 200 − 101 × 16 777 216 = 9 568 384.
 * The clock wraps when Unix seconds reach 102 × 16 777 216 = 1 711 276 032, i.e. 7 208 832 s after the epoch.
 */

describe("constants (§2.1)", () => {
  it("LRU_BITS is 24", () => {
    expect(LRU_BITS).toBe(24);
  });
  it("LRU_CLOCK_MAX is 16777215", () => {
    expect(LRU_CLOCK_MAX).toBe(16_777_215);
  });
  it("LRU_CLOCK_RESOLUTION_MS is 1000", () => {
    expect(LRU_CLOCK_RESOLUTION_MS).toBe(1000);
  });
  it("SIM_EPOCH_MS is 2024-01-01T00:00:00Z", () => {
    expect(SIM_EPOCH_MS).toBe(Date.UTC(2024, 0, 1));
  });
});

describe("lruClockAt", () => {
  it("lruClockAt(0) is 9568384", () => {
    expect(lruClockAt(0)).toBe(9_568_384);
  });
  it("lruClockAt(999) is 9568384 (1 s resolution)", () => {
    expect(lruClockAt(999)).toBe(9_568_384);
  });
  it("lruClockAt(1000) is 9568385", () => {
    expect(lruClockAt(1000)).toBe(9_568_385);
  });
  it("lruClockAt(3600000) is 9571984 (one hour later)", () => {
    expect(lruClockAt(3_600_000)).toBe(9_571_984);
  });
  it("lruClockAt(7208831999) is 16777215 (last second before the wrap)", () => {
    expect(lruClockAt(7_208_831_999)).toBe(16_777_215);
  });
  it("lruClockAt(7208832000) is 0 (wraps mod 2^24)", () => {
    expect(lruClockAt(7_208_832_000)).toBe(0);
  });
  it("lruClockAt(7208837500) is 5", () => {
    expect(lruClockAt(7_208_837_500)).toBe(5);
  });
});

describe("estimateObjectIdleTime", () => {
  it("estimateObjectIdleTime(100, 100) is 0", () => {
    expect(estimateObjectIdleTime(100, 100)).toBe(0);
  });
  it("estimateObjectIdleTime(105, 100) is 5000", () => {
    expect(estimateObjectIdleTime(105, 100)).toBe(5000);
  });
  it("estimateObjectIdleTime(16777215, 0) is 16777215000", () => {
    expect(estimateObjectIdleTime(16_777_215, 0)).toBe(16_777_215_000);
  });
  it("estimateObjectIdleTime(5, 16777210) is 10000 (wrap quirk: 5 + 16777215 − 16777210 = 10, not 11)", () => {
    expect(estimateObjectIdleTime(5, 16_777_210)).toBe(10_000);
  });
  it("estimateObjectIdleTime(0, 16777215) is 0 (wrap quirk: 0 + 16777215 − 16777215)", () => {
    expect(estimateObjectIdleTime(0, 16_777_215)).toBe(0);
  });
  it("estimateObjectIdleTime(0, 1) is 16777214000 (wrap quirk)", () => {
    expect(estimateObjectIdleTime(0, 1)).toBe(16_777_214_000);
  });
  it("estimateObjectIdleTime(clock, lru) is always a multiple of 1000", () => {
    const cases: [number, number][] = [
      [0, 0],
      [1, 0],
      [12345, 678],
      [9_568_384, 9_568_000],
      [3, 16_000_000],
      [16_777_215, 16_777_214],
    ];
    for (const [clock, lru] of cases) expect(estimateObjectIdleTime(clock, lru) % 1000).toBe(0);
  });
  it("estimateObjectIdleTime(lruClockAt(61500), lruClockAt(500)) is 61000 (stamps are whole seconds)", () => {
    // 500 ms → second 9 568 384; 61 500 ms → 9 568 445; 61 s apart, although 61 000 ms is also the true gap
    expect(estimateObjectIdleTime(lruClockAt(61_500), lruClockAt(500))).toBe(61_000);
  });
  it("estimateObjectIdleTime(lruClockAt(1999), lruClockAt(1000)) is 0 (same clock second: ties)", () => {
    expect(estimateObjectIdleTime(lruClockAt(1999), lruClockAt(1000))).toBe(0);
  });
  it("estimateObjectIdleTime(lruClockAt(2000), lruClockAt(1999)) is 1000 (1 ms apart across a second)", () => {
    expect(estimateObjectIdleTime(lruClockAt(2000), lruClockAt(1999))).toBe(1000);
  });
});
