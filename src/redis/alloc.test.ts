import { describe, it, expect } from "vitest";
import { allocatorFn, quantumOf, sizeClass } from "./alloc.ts";

/*
 * jemalloc size classes, docs/model.md §7.1. The lists are copied from that section's table, not derived.
 * Above 64 both builds share the same classes (four per power of two).
 */
const COMMON_ABOVE_64 = [
  80, 96, 112, 128, 160, 192, 224, 256, 320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560,
  3072, 3584, 4096, 5120, 6144, 7168, 8192, 10240, 12288, 14336, 16384, 20480, 24576, 28672, 32768, 40960,
  49152, 57344, 65536,
];
/** Bundled jemalloc, `--with-lg-quantum=3` (official source / Docker builds). */
const CLASSES_Q8 = [8, 16, 24, 32, 40, 48, 56, 64, ...COMMON_ABOVE_64];
/** System jemalloc with a 16-byte quantum (Debian / Ubuntu packages): no 24, 40, 56. */
const CLASSES_Q16 = [8, 16, 32, 48, 64, ...COMMON_ABOVE_64];
/**
 * That table's list ends with "65536, …"; the class after it follows the stated rule (four classes per
 * power-of-two group, spacing a quarter of the power of two below): 65536 + 65536/4 = 81920.
 */
const NEXT_AFTER_65536 = 81920;

function classTests(quantum: number, classes: number[]): void {
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i];
    const next = i + 1 < classes.length ? classes[i + 1] : NEXT_AFTER_65536;
    it(`sizeClass(${c}, ${quantum}) is ${c}`, () => {
      expect(sizeClass(c, quantum)).toBe(c);
    });
    it(`sizeClass(${c + 1}, ${quantum}) is ${next}`, () => {
      expect(sizeClass(c + 1, quantum)).toBe(next);
    });
  }
}

describe("sizeClass, quantum 8 (jemalloc-bundled)", () => {
  classTests(8, CLASSES_Q8);

  it("sizeClass(1, 8) is 8", () => {
    expect(sizeClass(1, 8)).toBe(8);
  });
  it("sizeClass(25, 8) is 32", () => {
    expect(sizeClass(25, 8)).toBe(32);
  });
  it("sizeClass(n, 8) for every n in 1..65536 is the smallest listed class ≥ n", () => {
    const wrong: string[] = [];
    let j = 0;
    for (let n = 1; n <= 65536; n++) {
      while (CLASSES_Q8[j] < n) j++;
      const got = sizeClass(n, 8);
      if (got !== CLASSES_Q8[j]) wrong.push(`sizeClass(${n}, 8) = ${got}, expected ${CLASSES_Q8[j]}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe("sizeClass, quantum 16 (jemalloc-debian)", () => {
  classTests(16, CLASSES_Q16);

  it("sizeClass(1, 16) is 8", () => {
    expect(sizeClass(1, 16)).toBe(8);
  });
  it("sizeClass(17, 16) is 32 (no 24 class)", () => {
    expect(sizeClass(17, 16)).toBe(32);
  });
  it("sizeClass(33, 16) is 48 (no 40 class)", () => {
    expect(sizeClass(33, 16)).toBe(48);
  });
  it("sizeClass(49, 16) is 64 (no 56 class)", () => {
    expect(sizeClass(49, 16)).toBe(64);
  });
  it("sizeClass(n, 16) for every n in 1..65536 is the smallest listed class ≥ n", () => {
    const wrong: string[] = [];
    let j = 0;
    for (let n = 1; n <= 65536; n++) {
      while (CLASSES_Q16[j] < n) j++;
      const got = sizeClass(n, 16);
      if (got !== CLASSES_Q16[j]) wrong.push(`sizeClass(${n}, 16) = ${got}, expected ${CLASSES_Q16[j]}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe("quantumOf / allocatorFn", () => {
  it('quantumOf("jemalloc-bundled") is 8', () => {
    expect(quantumOf("jemalloc-bundled")).toBe(8);
  });
  it('quantumOf("jemalloc-debian") is 16', () => {
    expect(quantumOf("jemalloc-debian")).toBe(16);
  });
  it('allocatorFn("jemalloc-bundled")(20) is 24', () => {
    expect(allocatorFn("jemalloc-bundled")(20)).toBe(24);
  });
  it('allocatorFn("jemalloc-debian")(20) is 32', () => {
    expect(allocatorFn("jemalloc-debian")(20)).toBe(32);
  });
});
