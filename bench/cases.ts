import { parseScenario } from "../src/scenario/parse.ts";
import { compile } from "../src/scenario/compile.ts";
import type { Plan } from "../src/parts/plan.ts";

/*
 * The benchmark cases of issue 4: each 10 M requests, Zipf(1.0) over 1 M keys of 100-byte values,
 * cache-aside, generated in process with a fixed seed. maxmemory is a fraction of the working set
 * (the used_memory of all 1 M keys, measured by the model itself).
 */

export const REQUESTS = 10_000_000;
export const KEYS = 1_000_000;
export const RATE = 200_000; // simulated requests per second: 10 M requests = 50 s of simulated time

export interface BenchCase {
  name: string;
  policy: string;
  samples?: number;
  fraction: number;
  /** Half the keys with a TTL (two classes of 500 k keys, each Zipf 1.0). */
  ttlHalf?: boolean;
  /** Replay the allkeys-lru case from a trace file of this format instead of generating it. */
  trace?: "csv" | "oracle-general";
  /** A keyspace fill of this many keys (no maxmemory, every request a SET of a new key). */
  fill?: number;
  /** Scaled-down mode: spatial sampling rate (workload.sampling). */
  sampling?: number;
}

export const CASES: BenchCase[] = [
  { name: "allkeys-lru s5 10%", policy: "allkeys-lru", fraction: 0.1 },
  { name: "allkeys-lru s5 50%", policy: "allkeys-lru", fraction: 0.5 },
  { name: "allkeys-lru s10 10%", policy: "allkeys-lru", samples: 10, fraction: 0.1 },
  { name: "allkeys-lfu 10%", policy: "allkeys-lfu", fraction: 0.1 },
  { name: "allkeys-random 10%", policy: "allkeys-random", fraction: 0.1 },
  { name: "volatile-ttl 10% (half TTL)", policy: "volatile-ttl", fraction: 0.1, ttlHalf: true },
  { name: "volatile-lru 10% (half TTL)", policy: "volatile-lru", fraction: 0.1, ttlHalf: true },
  { name: "exact-lru 10%", policy: "exact-lru", fraction: 0.1 },
  { name: "allkeys-lru 10% from CSV trace", policy: "allkeys-lru", fraction: 0.1, trace: "csv" },
  { name: "allkeys-lru 10% from oracleGeneral", policy: "allkeys-lru", fraction: 0.1, trace: "oracle-general" },
  { name: "allkeys-lru s5 10%, 10% sampled", policy: "allkeys-lru", fraction: 0.1, sampling: 0.1 },
  { name: "allkeys-lru s5 50%, 10% sampled", policy: "allkeys-lru", fraction: 0.5, sampling: 0.1 },
  { name: "fill 100 M keys", policy: "noeviction", fraction: 0, fill: 100_000_000 },
];

export function scenarioText(c: BenchCase, maxmemory: number): string {
  if (c.fill) {
    return `
seed: 1
duration: ${Math.ceil(c.fill / 1_000_000)}s
redis: { maxmemory: 0, maxmemory-policy: noeviction }
workload:
  rate: 1000000
  arrivals: constant
  classes: [{ name: k, keys: unbounded, mode: explicit, ops: { set: 1 }, new-keys: 1, value-size: 100 }]
output: { interval: 10s }
`;
  }
  const classes = c.ttlHalf
    ? `    - { name: k, keys: ${KEYS / 2}, share: 0.5, popularity: zipf, value-size: 100 }
    - { name: t, keys: ${KEYS / 2}, share: 0.5, popularity: zipf, value-size: 100, ttl: { ttl: 20s, jitter: 50% } }`
    : `    - { name: k, keys: ${KEYS}, popularity: zipf, value-size: 100 }`;
  return `
seed: 1
duration: ${REQUESTS / RATE}s
redis: { maxmemory: ${maxmemory}, maxmemory-policy: ${c.policy}, maxmemory-samples: ${c.samples ?? 5} }
workload:
  rate: ${RATE}
  sampling: ${c.sampling ?? 1}
  classes:
${classes}
output: { interval: 1s }
`;
}

export function planFor(c: BenchCase, maxmemory: number): Plan {
  return compile(parseScenario(scenarioText(c, maxmemory)));
}
