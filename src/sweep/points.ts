/*
 * A sweep: the cartesian product of a scenario's `sweep:` block, each key a --set path and each value one
 * setting, the first key varying slowest. Pure: the CLI (src/cli/sweep.ts) runs the points.
 */

export interface SweepPoint {
  /** 0-based position in the full product (stable: shards and merges key on it). */
  index: number;
  /** --set overrides, `path=value`. */
  sets: string[];
  /** The swept values by key, as written. */
  values: Record<string, string>;
  /** Directory name: zero-padded index and the values, e.g. `0006-allkeys-lfu-64mb`. */
  dir: string;
}

export function sweepPoints(sweep: Record<string, readonly unknown[]>): SweepPoint[] {
  const keys = Object.keys(sweep);
  const total = keys.reduce((n, k) => n * sweep[k].length, 1);
  const width = Math.max(4, String(total - 1).length);
  const out: SweepPoint[] = [];
  for (let index = 0; index < total; index++) {
    let rest = index;
    const values: Record<string, string> = {};
    // the last key varies fastest
    const picked: string[] = new Array(keys.length);
    for (let j = keys.length - 1; j >= 0; j--) {
      const vs = sweep[keys[j]];
      picked[j] = String(vs[rest % vs.length]);
      rest = Math.floor(rest / vs.length);
    }
    keys.forEach((k, j) => (values[k] = picked[j]));
    const slug = picked.map((v) => v.replace(/[^A-Za-z0-9.]+/g, "-").replace(/^-|-$/g, "") || "x").join("-");
    out.push({ index, sets: keys.map((k) => `${k}=${values[k]}`), values, dir: `${String(index).padStart(width, "0")}-${slug}`.slice(0, 120) });
  }
  return out;
}

/** `i/n` (1-based i): the points whose index ≡ i−1 (mod n), so every shard gets a similar mix. */
export function parseShard(text: string): { i: number; n: number } | null {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) return null;
  const i = Number(m[1]), n = Number(m[2]);
  if (n < 1 || i < 1 || i > n) return null;
  return { i, n };
}

export function inShard(p: SweepPoint, shard: { i: number; n: number } | null): boolean {
  return shard === null || p.index % shard.n === shard.i - 1;
}
