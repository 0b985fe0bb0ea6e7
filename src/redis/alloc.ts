/**
 * jemalloc size classes (docs/model.md §7.1). `used_memory` is the sum of the allocator's usable size of
 * every live allocation, i.e. each request rounded up to its size class.
 *
 * - `jemalloc-bundled`: the jemalloc Redis ships in deps/ and builds with `--with-lg-quantum=3`
 *   (official source builds and Docker images): 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, …
 * - `jemalloc-debian`: distro packages (Debian/Ubuntu `redis-server`) link the system jemalloc with a
 *   16-byte quantum: 8, 16, 32, 48, 64, 80, 96, …
 * Above 64 bytes both have four classes per power of two (80, 96, 112, 128, 160, …), small and large
 * classes alike, which is what `sizeClass` computes.
 */
export const ALLOCATORS = ["jemalloc-bundled", "jemalloc-debian"] as const;
export type Allocator = (typeof ALLOCATORS)[number];

export function quantumOf(allocator: Allocator): number {
  return allocator === "jemalloc-debian" ? 16 : 8;
}

/** The usable size jemalloc returns for a request of `n` bytes with the given quantum (8 or 16). */
export function sizeClass(n: number, quantum: number): number {
  if (n <= 8) return 8;
  if (n <= 16) return 16;
  // ceil(log2(n)) for n > 16
  const lg = 32 - Math.clz32(n - 1);
  let step = lg >= 35 ? 2 ** (lg - 3) : 1 << (lg - 3);
  if (step < quantum) step = quantum;
  return Math.ceil(n / step) * step;
}

/** A size-class function bound to one allocator. */
export type SizeClassFn = (n: number) => number;

export function allocatorFn(allocator: Allocator): SizeClassFn {
  const q = quantumOf(allocator);
  return (n) => sizeClass(n, q);
}
