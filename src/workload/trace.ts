import type { KeyRegistry } from "./request.ts";

/*
 * Traces reach the simulation as batches of requests in struct-of-arrays form, pulled one batch at a time
 * (readers decompress and parse asynchronously at the edge; the model consumes each batch synchronously
 * before pulling the next, so a reader may reuse its arrays). Keys are interned by the reader to dense
 * integer ids, declared through the KeyRegistry before they appear in a batch.
 */

export const BATCH_SIZE = 65_536;

export class TraceBatch {
  n = 0;
  /** Time, µs, non-decreasing across the whole trace. */
  readonly t: Float64Array;
  /** OP_* of request.ts (OP_CACHE_GET for a read in cache-aside mode). */
  readonly op: Uint8Array;
  readonly key: Int32Array;
  /** Value bytes (for SET, and for the fill after a cache-aside miss). */
  readonly vlen: Float64Array;
  /** TTL, ms; 0 = none. */
  readonly ttlMs: Float64Array;
  /**
   * Index (0-based, across the whole trace) of the next request to the same key, or −1 if none; NaN when
   * the format does not carry it. Used by the `opt` reference policy.
   */
  readonly nextAccess: Float64Array;

  constructor(capacity = BATCH_SIZE) {
    this.t = new Float64Array(capacity);
    this.op = new Uint8Array(capacity);
    this.key = new Int32Array(capacity);
    this.vlen = new Float64Array(capacity);
    this.ttlMs = new Float64Array(capacity);
    this.nextAccess = new Float64Array(capacity);
  }

  get capacity(): number {
    return this.t.length;
  }
}

/** A trace, readable once. */
export interface TraceReader {
  /** Yields batches; throws InputError with the file and line or record number on malformed input. */
  batches(reg: KeyRegistry): AsyncIterable<TraceBatch>;
  /** The key name to send to a real Redis for interned id `key` (the original name, or the decimal id). */
  keyName(key: number): string;
  /** Distinct keys seen so far. */
  readonly distinctKeys: number;
}
