import seedrandom from "seedrandom";

/**
 * A fast seeded generator (sfc32, Chris Doty-Humphrey's Small Fast Counting generator) whose 128-bit
 * state is drawn from seedrandom. seedrandom's ARC4 is the well-known, portable seed expander; sfc32 is
 * what the hot loop calls, because it is a handful of 32-bit integer operations with no allocation.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: string) {
    const src = seedrandom(seed);
    this.a = src.int32();
    this.b = src.int32();
    this.c = src.int32();
    this.d = src.int32() | 1;
    for (let i = 0; i < 12; i++) this.u32();
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.u32() * 2.3283064365386963e-10; // 2^-32
  }

  /** A uniform float in (0, 1): never 0, for logarithms. */
  nextOpen(): number {
    return (this.u32() + 0.5) / 4294967296;
  }

  /** A uniform integer in [0, n) for n ≤ 2^32 (multiply-shift; bias below 2^-32·n, negligible here). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** An exponential variate with the given mean. */
  exp(mean: number): number {
    return -Math.log(this.nextOpen()) * mean;
  }
}

/**
 * Named random streams derived from one scenario seed: one stream per concern ("arrivals", "keys",
 * "evict", "lfu", …), so that drawing more numbers for one concern never shifts another's sequence.
 */
export class Streams {
  private readonly made = new Map<string, Rng>();
  readonly seed: number | string;
  constructor(seed: number | string) {
    this.seed = seed;
  }

  get(name: string): Rng {
    let r = this.made.get(name);
    if (!r) {
      r = new Rng(`evictsim:${this.seed}:${name}`);
      this.made.set(name, r);
    }
    return r;
  }
}

/**
 * A stateless 32-bit hash of (seed, a, b) to a float in [0, 1): used where a property must be a fixed
 * function of a key (its value size), independent of the order in which keys are first seen.
 */
export function hash01(seed: number, a: number, b: number): number {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(a + 0x632be5ab, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h ^= Math.imul(b + 0x2545f491, 0x27d4eb2f);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}
