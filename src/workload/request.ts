/** What a workload hands the server loop, one request at a time (reused: no allocation per request). */

/** A cache-aside read: GET, and on a miss SET the value (size and TTL from `fill`). */
export const OP_CACHE_GET = 0;
export const OP_GET = 1;
export const OP_SET = 2;
export const OP_DEL = 3;

export class Request {
  /** Simulated time, µs. */
  t = 0;
  op = OP_GET;
  key = 0;
  /** Value bytes and TTL (ms, 0 = none) for SET; for OP_CACHE_GET valid after `fill`. */
  vlen = 0;
  ttlMs = 0;
  /** Source-private details (the key class, key index and workload phase) that `fill` needs. */
  cls = 0;
  index = 0;
  phase = 0;
}

/** Anything that produces requests in time order: the generator, or a trace reader. */
export interface RequestSource {
  /** Fills `req` with the next request; false at the end. */
  next(req: Request): boolean;
  /** Sets `req.vlen` and `req.ttlMs` for the SET that follows a cache-aside miss. */
  fill(req: Request): void;
}

/**
 * Where sources declare key ids before first use (the server's keyspace; in a cluster the key map,
 * cluster/keymap.ts). `slot`: the key's hash slot when the source knows it (the generator in a cluster
 * run), else −1 or absent (the key map then asks the source for the name).
 */
export interface KeyRegistry {
  defineKey(key: number, db: number, keyLen: number, slot?: number): void;
}

