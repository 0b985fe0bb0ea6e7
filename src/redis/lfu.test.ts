import { describe, it, expect } from "vitest";
import { Rng } from "../core/random.ts";
import {
  LFU_COUNTER_MAX,
  LFU_INIT_VAL,
  lfuDecrAndReturn,
  lfuInitial,
  lfuLogIncr,
  lfuTimeInMinutes,
  updateLFU,
} from "./lfu.ts";

/* docs/model.md §3: lru field = [16-bit minutes | 8-bit counter]. */
const pack = (minutes: number, counter: number) => minutes * 256 + counter;

describe("constants (§3.1)", () => {
  it("LFU_INIT_VAL is 5", () => {
    expect(LFU_INIT_VAL).toBe(5);
  });
  it("LFU_COUNTER_MAX is 255", () => {
    expect(LFU_COUNTER_MAX).toBe(255);
  });
  it("lfuInitial(1234) is 1234·256 + 5", () => {
    expect(lfuInitial(1234)).toBe(315909); // 1234 × 256 = 315 904, + 5
  });
});

describe("lfuTimeInMinutes (§1: Unix minutes mod 2^16)", () => {
  // SIM_EPOCH_MS = 1 704 067 200 000 (2024-01-01Z) = 28 401 120 minutes; 28 401 120 − 433·65 536 = 24 032.
  it("lfuTimeInMinutes(0) is 24032", () => {
    expect(lfuTimeInMinutes(0)).toBe(24032);
  });
  it("lfuTimeInMinutes(59999) is 24032 (same epoch-aligned minute)", () => {
    expect(lfuTimeInMinutes(59_999)).toBe(24032);
  });
  it("lfuTimeInMinutes(60000) is 24033", () => {
    expect(lfuTimeInMinutes(60_000)).toBe(24033);
  });
  // (65 536 − 24 032) minutes × 60 000 ms = 2 490 240 000 ms until the 16-bit clock wraps.
  it("lfuTimeInMinutes(2490239999) is 65535", () => {
    expect(lfuTimeInMinutes(2_490_239_999)).toBe(65535);
  });
  it("lfuTimeInMinutes(2490240000) is 0 (wrap)", () => {
    expect(lfuTimeInMinutes(2_490_240_000)).toBe(0);
  });
});

describe("lfuLogIncr (§3.2)", () => {
  for (let c = 0; c <= 5; c++) {
    it(`lfuLogIncr(${c}, 10, rng) is always ${c + 1}`, () => {
      const rng = new Rng("x");
      for (let i = 0; i < 10_000; i++) expect(lfuLogIncr(c, 10, rng)).toBe(c + 1);
    });
  }
  it("lfuLogIncr(5, 1000000, rng) is always 6 (base clamped at 0)", () => {
    const rng = new Rng("x");
    for (let i = 0; i < 10_000; i++) expect(lfuLogIncr(5, 1_000_000, rng)).toBe(6);
  });
  it("lfuLogIncr(255, 10, rng) is 255 (saturates)", () => {
    const rng = new Rng("x");
    for (let i = 0; i < 10_000; i++) expect(lfuLogIncr(255, 10, rng)).toBe(255);
  });
  it("lfuLogIncr(255, 0, rng) is 255 (saturates even when p = 1)", () => {
    const rng = new Rng("x");
    for (let i = 0; i < 1000; i++) expect(lfuLogIncr(255, 0, rng)).toBe(255);
  });
  it("lfuLogIncr(254, 0, rng) is 255 (factor 0: p = 1)", () => {
    const rng = new Rng("x");
    for (let i = 0; i < 1000; i++) expect(lfuLogIncr(254, 0, rng)).toBe(255);
  });
  it("lfuLogIncr(c, 10, rng) never returns anything but c or c + 1", () => {
    const rng = new Rng("x");
    const bad: string[] = [];
    for (let c = 6; c < 255; c++) {
      for (let i = 0; i < 50; i++) {
        const r = lfuLogIncr(c, 10, rng);
        if (r !== c && r !== c + 1) bad.push(`lfuLogIncr(${c}) = ${r}`);
      }
    }
    expect(bad).toEqual([]);
  });
  it("lfuLogIncr(6, 10, rng) increments with p = 1/((6−5)·10 + 1) = 1/11", () => {
    const rng = new Rng("x");
    const n = 100_000;
    let inc = 0;
    for (let i = 0; i < n; i++) if (lfuLogIncr(6, 10, rng) === 7) inc++;
    // binomial sd = sqrt(p(1−p)/n) ≈ 0.00091; allow ±5 sd. (p = 1/(6·10+1) ≈ 0.0164 would fail.)
    expect(Math.abs(inc / n - 1 / 11)).toBeLessThan(0.0046);
  });
  it("lfuLogIncr(15, 1, rng) increments with p = 1/((15−5)·1 + 1) = 1/11", () => {
    const rng = new Rng("x");
    const n = 100_000;
    let inc = 0;
    for (let i = 0; i < n; i++) if (lfuLogIncr(15, 1, rng) === 16) inc++;
    expect(Math.abs(inc / n - 1 / 11)).toBeLessThan(0.0046);
  });
});

describe("lfuDecrAndReturn (§3.3)", () => {
  it("lfuDecrAndReturn(pack(100, 20), 100, 1) is 20 (no time elapsed)", () => {
    expect(lfuDecrAndReturn(pack(100, 20), 100, 1)).toBe(20);
  });
  it("lfuDecrAndReturn(pack(100, 20), 103, 1) is 17 (subtracts one per period, does not halve)", () => {
    expect(lfuDecrAndReturn(pack(100, 20), 103, 1)).toBe(17);
  });
  it("lfuDecrAndReturn(pack(100, 20), 101, 1) is 19", () => {
    expect(lfuDecrAndReturn(pack(100, 20), 101, 1)).toBe(19);
  });
  it("lfuDecrAndReturn(pack(100, 20), 103, 2) is 19 (3 min / 2 = 1 period)", () => {
    expect(lfuDecrAndReturn(pack(100, 20), 103, 2)).toBe(19);
  });
  it("lfuDecrAndReturn(pack(100, 20), 110, 5) is 18 (10 min / 5 = 2 periods)", () => {
    expect(lfuDecrAndReturn(pack(100, 20), 110, 5)).toBe(18);
  });
  it("lfuDecrAndReturn(pack(100, 20), 120, 1) is 0 (exactly counter periods)", () => {
    expect(lfuDecrAndReturn(pack(100, 20), 120, 1)).toBe(0);
  });
  it("lfuDecrAndReturn(pack(100, 20), 5000, 1) is 0 (clamped at 0)", () => {
    expect(lfuDecrAndReturn(pack(100, 20), 5000, 1)).toBe(0);
  });
  it("lfuDecrAndReturn(pack(100, 255), 200, 1) is 155", () => {
    expect(lfuDecrAndReturn(pack(100, 255), 200, 1)).toBe(155);
  });
  it("lfuDecrAndReturn(pack(100, 20), 60000, 0) is 20 (decayTime 0 = never decays)", () => {
    expect(lfuDecrAndReturn(pack(100, 20), 60_000, 0)).toBe(20);
  });
  it("lfuDecrAndReturn(pack(0, 7), 65535, 0) is 7 (decayTime 0, maximum elapsed)", () => {
    expect(lfuDecrAndReturn(pack(0, 7), 65535, 0)).toBe(7);
  });
  it("lfuDecrAndReturn(pack(65530, 20), 5, 1) is 10 (wrap: elapsed = 65535 − 65530 + 5 = 10)", () => {
    expect(lfuDecrAndReturn(pack(65530, 20), 5, 1)).toBe(10);
  });
  it("lfuDecrAndReturn(pack(65535, 20), 0, 1) is 20 (wrap: elapsed = 65535 − 65535 + 0 = 0)", () => {
    expect(lfuDecrAndReturn(pack(65535, 20), 0, 1)).toBe(20);
  });
  it("lfuDecrAndReturn(pack(65000, 200), 100, 10) is 137 (wrap: elapsed 635, 63 periods)", () => {
    // 65535 − 65000 + 100 = 635; floor(635 / 10) = 63; 200 − 63 = 137
    expect(lfuDecrAndReturn(pack(65000, 200), 100, 10)).toBe(137);
  });
  it("lfuDecrAndReturn does not depend on anything but its arguments (read-only)", () => {
    const lru = pack(100, 20);
    expect(lfuDecrAndReturn(lru, 105, 1)).toBe(15);
    expect(lfuDecrAndReturn(lru, 105, 1)).toBe(15);
  });
});

describe("updateLFU (§3.2)", () => {
  it("updateLFU(pack(100, 5), 100, 1, 10, rng) is pack(100, 6)", () => {
    expect(updateLFU(pack(100, 5), 100, 1, 10, new Rng("x"))).toBe(pack(100, 6));
  });
  it("updateLFU(pack(100, 5), 200, 1, 10, rng) is pack(200, 1) (decay to 0, increment, restamp)", () => {
    expect(updateLFU(pack(100, 5), 200, 1, 10, new Rng("x"))).toBe(pack(200, 1));
  });
  it("updateLFU(pack(100, 20), 103, 1, 0, rng) is pack(103, 18) (decay 3, +1 with factor 0)", () => {
    expect(updateLFU(pack(100, 20), 103, 1, 0, new Rng("x"))).toBe(pack(103, 18));
  });
  it("updateLFU(pack(65530, 20), 5, 1, 0, rng) is pack(5, 11) (wrap)", () => {
    expect(updateLFU(pack(65530, 20), 5, 1, 0, new Rng("x"))).toBe(pack(5, 11));
  });
  it("updateLFU(pack(100, 50), 200, 1, 10, rng) restamps the minutes to 200", () => {
    const rng = new Rng("x");
    for (let i = 0; i < 100; i++) {
      const lru = updateLFU(pack(100, 50), 200, 1, 10, rng);
      expect(Math.floor(lru / 256)).toBe(200);
      // 50 − 100 periods → 0, then 0 always increments to 1
      expect(lru % 256).toBe(1);
    }
  });
  it("updateLFU(pack(100, 100), 101, 0, 10, rng) keeps the counter at 100 or 101 and restamps 101", () => {
    const rng = new Rng("x");
    for (let i = 0; i < 100; i++) {
      const lru = updateLFU(pack(100, 100), 101, 0, 10, rng);
      expect(Math.floor(lru / 256)).toBe(101);
      expect([100, 101]).toContain(lru % 256);
    }
  });
  it("updateLFU loses partial periods: two accesses 1 min apart with decayTime 2 never decay", () => {
    // Stamped at 100 with counter 250; access at 101 (1 min: 0 periods) restamps 101; then at 102, only
    // 1 minute has elapsed since the restamp, so still 0 periods, although 2 minutes passed since 100.
    const rng = new Rng("x");
    let lru = pack(100, 250);
    lru = updateLFU(lru, 101, 2, 0, rng);
    expect(lru).toBe(pack(101, 251));
    expect(lfuDecrAndReturn(lru, 102, 2)).toBe(251);
    // without the restamp the original stamp would have decayed by one period
    expect(lfuDecrAndReturn(pack(100, 251), 102, 2)).toBe(250);
  });
  it("updateLFU(pack(100, 255), 100, 1, 0, rng) is pack(100, 255) (saturated)", () => {
    expect(updateLFU(pack(100, 255), 100, 1, 0, new Rng("x"))).toBe(pack(100, 255));
  });
});

describe("lfuLogIncr statistics against §3.2's expectation (factor 10, from 5)", () => {
  /** Expected hits to raise a new key from 5 to C: (C − 5) + f·(C − 6)(C − 5)/2 (docs/model.md §3.2). */
  const expectedHits = (C: number, f: number) => C - 5 + (f * (C - 6) * (C - 5)) / 2;

  function meanCounterAfter(hits: number, runs: number, seed: string): number {
    const rng = new Rng(seed);
    let sum = 0;
    for (let r = 0; r < runs; r++) {
      let c = LFU_INIT_VAL;
      for (let i = 0; i < hits; i++) c = lfuLogIncr(c, 10, rng);
      sum += c;
    }
    return sum / runs;
  }

  it("expectedHits reproduces docs/model.md §3.2's figures: 10 → 105, 19 → 924, 20 → 1065", () => {
    // (10−5) + 10·4·5/2 = 5 + 100; (19−5) + 10·13·14/2 = 14 + 910; (20−5) + 10·14·15/2 = 15 + 1050
    expect(expectedHits(10, 10)).toBe(105);
    expect(expectedHits(19, 10)).toBe(924);
    expect(expectedHits(20, 10)).toBe(1065);
  });

  it("lfuLogIncr × 100 from 5: mean counter ≈ 10 and its expected hits ≈ 100", () => {
    const m = meanCounterAfter(100, 2000, "lfu-stat");
    // spec: "100 hits → ≈10"
    expect(Math.round(m)).toBe(10);
    // expected hits for the mean counter reached, within ±15 % of the hits made
    const h = expectedHits(m, 10);
    expect(h).toBeGreaterThan(85);
    expect(h).toBeLessThan(115);
  });

  it("lfuLogIncr × 1000 from 5: mean counter ≈ 19 and its expected hits ≈ 1000", () => {
    const m = meanCounterAfter(1000, 2000, "lfu-stat");
    // spec: "1 000 → ≈19"
    expect(Math.round(m)).toBe(19);
    const h = expectedHits(m, 10);
    expect(h).toBeGreaterThan(850);
    expect(h).toBeLessThan(1150);
  });
});
