import { OP_CACHE_GET, OP_DEL, OP_GET, OP_SET } from "../../workload/request.ts";
import type { TraceBatch } from "../../workload/trace.ts";
import { BytesInterner } from "./intern.ts";
import { isWord, LineTraceReader, num, text } from "./lines.ts";

/*
 * Our CSV trace, streamed: header `t_ms,op,key,value_size,ttl_s`, one command per row, in time order.
 * op is GET, SET or DEL (any case); ttl_s 0 means no TTL; an empty value_size or ttl_s is 0. A GET is
 * a cache-aside read (OP_CACHE_GET, filled with the row's value_size and TTL on a miss) in mode
 * cache-aside, a plain GET in mode literal. Fields are not quoted: a key cannot contain a comma.
 * Keys are interned as they are first seen: each distinct key (as bytes) gets the next integer id.
 * A malformed row is an InputError naming file:line (the header and blank lines count as lines).
 */

/**
 * Line 1 of our CSV trace. Columns: t_ms, the time in ms from the start of the trace (a decimal ≥ 0,
 * rows in time order); op, GET, SET or DEL; key, the key name (not empty, at most 65535 bytes, no
 * comma); value_size, the value in bytes (a whole number); ttl_s, the TTL in seconds (0 = no TTL).
 */
export const TRACE_CSV_HEADER = "t_ms,op,key,value_size,ttl_s";

export class CsvTraceReader extends LineTraceReader {
  private readonly keys = new BytesInterner();
  private readonly readOp: number;
  private prevUs = -Infinity;

  constructor(file: string, mode: "cache-aside" | "literal" = "cache-aside") {
    super(file, true);
    this.readOp = mode === "cache-aside" ? OP_CACHE_GET : OP_GET;
  }

  get distinctKeys(): number {
    return this.keys.size;
  }

  keyName(key: number): string {
    return this.keys.name(key);
  }

  protected override header(b: Uint8Array | null, s: number, e: number): void {
    const h = b === null ? null : text(b, s, e);
    if (h !== null && h.trim() === TRACE_CSV_HEADER) return;
    this.line = 1; // also for an empty file
    this.fail(`expected the header "${TRACE_CSV_HEADER}", found ${JSON.stringify(h ?? "(empty file)")}`);
  }

  protected row(b: Uint8Array, s: number, e: number, batch: TraceBatch): void {
    const n = this.split(b, s, e, 44 /* , */);
    if (n !== 5) this.fail(`expected 5 fields (${TRACE_CSV_HEADER}), found ${n}: ${JSON.stringify(text(b, s, e))}`);
    const fs = this.fs, fe = this.fe;

    const t = fs[0] === fe[0] ? NaN : num(b, fs[0], fe[0]);
    if (!(t >= 0 && t < Infinity)) this.fail(`t_ms ${JSON.stringify(this.field(b, 0))} is not a time in ms ≥ 0`);
    const us = Math.round(t * 1000);
    if (us < this.prevUs) this.fail(`t_ms ${this.field(b, 0)} is earlier than the previous row: a trace must be in time order`);

    const ks = fs[2], ke = fe[2];
    if (ks === ke) this.fail(`empty key`);
    if (ke - ks > 65535) this.fail(`key longer than 65535 bytes`);

    const size = fs[3] === fe[3] ? 0 : num(b, fs[3], fe[3]);
    if (!Number.isInteger(size) || size < 0) this.fail(`value_size ${JSON.stringify(this.field(b, 3))} is not a whole number of bytes ≥ 0`);
    const ttl = fs[4] === fe[4] ? 0 : num(b, fs[4], fe[4]);
    if (!(ttl >= 0 && ttl < Infinity)) this.fail(`ttl_s ${JSON.stringify(this.field(b, 4))} is not a number of seconds ≥ 0 (0 = no TTL)`);

    const os = fs[1], oe = fe[1];
    let op: number;
    if (isWord(b, os, oe, "get")) op = this.readOp;
    else if (isWord(b, os, oe, "set")) op = OP_SET;
    else if (isWord(b, os, oe, "del")) op = OP_DEL;
    else this.fail(`op ${JSON.stringify(this.field(b, 1))} is not one of GET, SET, DEL`);

    const keys = this.keys;
    const before = keys.size;
    const id = keys.intern(b, ks, ke);
    if (id === before) this.reg.defineKey(id, 0, ke - ks);

    const i = batch.n++;
    batch.t[i] = us;
    batch.op[i] = op;
    batch.key[i] = id;
    batch.vlen[i] = size;
    batch.ttlMs[i] = Math.round(ttl * 1000);
    batch.nextAccess[i] = NaN;
    this.prevUs = us;
  }
}
