import type { Streams } from "../core/random.ts";
import type { RedisConfig } from "../redis/config.ts";
import { OP_CACHE_GET, OP_GET } from "../workload/request.ts";

/*
 * Spatial sampling (SHARDS: C. Waldspurger et al., "Efficient MRC construction with SHARDS", FAST'15):
 * a key takes part iff a hash of its id falls below rate × 2^32, so each key is in or out for the
 * whole run and every request for a kept key is kept. The dataset part of maxmemory (above the
 * fixed baseline: startup, clients, command histograms) is scaled by the rate, and counts and memory
 * are scaled back when reported. Bucket arrays then step at other key counts than in the full run:
 * a small error, bounded by the test in test/sampling.test.ts.
 *
 * Not a Part with columns of its own: it filters requests on the runner's hot path (`offer`) and the
 * server part reports through its scaling (`n`, `bytes`, `adjustment`).
 */
export class Sampler {
  /** Whether sampling is on (rate < 1). */
  readonly active: boolean;
  /** Requests offered (kept or not), and reads offered and kept. */
  seen = 0;
  seenReads = 0;
  keptReads = 0;
  private readonly keepBelow: number;
  private readonly salt: number;
  private readonly inv: number;
  private readonly rate: number;

  /** `fixedBytes`: the baseline of used_memory that is not scaled (startup, clients, command histograms). */
  private readonly fixedBytes: number;

  constructor(rate: number, streams: Streams, fixedBytes: number) {
    this.fixedBytes = fixedBytes;
    this.active = rate < 1;
    this.inv = 1 / rate;
    this.keepBelow = rate >= 1 ? Infinity : Math.floor(rate * 4294967296);
    this.salt = streams.get("sampling").u32() | 0;
    this.rate = rate;
  }

  /** The server's configuration for the sampled run: the dataset part of maxmemory scaled by the rate. */
  scaled(redis: RedisConfig): RedisConfig {
    return this.active && redis.maxmemory > this.fixedBytes
      ? { ...redis, maxmemory: Math.round(this.fixedBytes + this.rate * (redis.maxmemory - this.fixedBytes)) }
      : redis;
  }

  /** Whether `key` takes part (always true without sampling). */
  kept(key: number): boolean {
    let h = Math.imul(key ^ this.salt, 0x9e3779b1);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h >>> 0 < this.keepBelow;
  }

  /** Counts a request offered to the sampled run; whether its key takes part. */
  offer(op: number, key: number): boolean {
    this.seen++;
    const read = op === OP_CACHE_GET || op === OP_GET;
    if (read) this.seenReads++;
    if (!this.kept(key)) return false;
    if (read) this.keptReads++;
    return true;
  }

  /**
   * SHARDS-adj (Waldspurger et al., FAST'15 §4.3): the sample holds rate × offered reads only in
   * expectation. Under skew the difference comes mostly from whether the few hottest keys fell in the
   * sample, and those keys are hits, so the difference in *reads* is added to the hits (or taken from
   * them, never below zero). Without it a 10 % sample of a Zipf(1.0) workload read 4 pp low on the
   * bench case. Writes (SET, DEL) are not lookups that hit or miss and take no part.
   */
  adjustment(offered: number, sampled: number): number {
    return this.inv === 1 ? 0 : offered / this.inv - sampled;
  }

  /** A count of the sampled run as a count of the full workload. */
  n(x: number): number {
    return this.inv === 1 ? x : Math.round(x * this.inv);
  }

  /** Bytes of the sampled run as bytes of the full workload (the fixed baseline is not scaled). */
  bytes(x: number): number {
    return this.inv === 1 || x <= this.fixedBytes ? x : Math.round(this.fixedBytes + (x - this.fixedBytes) * this.inv);
  }
}
