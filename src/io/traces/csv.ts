import { OP_DEL, OP_SET } from "../../workload/request.ts";
import type { TraceBatch } from "../../workload/trace.ts";
import { BytesKeyLineReader, isWord, num, POW10, text } from "./lines.ts";
import { absurdTime, MAX_TRACE_TIME_US } from "./source.ts";
import type { TraceMode } from "../../workload/config.ts";

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

export class CsvTraceReader extends BytesKeyLineReader {
  private prevUs = -Infinity;

  constructor(file: string, mode: TraceMode = "cache-aside") {
    super(file, true, mode);
  }

  protected override header(b: Uint8Array | null, s: number, e: number): void {
    const h = b === null ? null : text(b, s, e);
    if (h !== null && h.trim() === TRACE_CSV_HEADER) return;
    this.line = 1; // also for an empty file
    // what line 1 holds is not shown: the file may not be a trace at all
    this.fail(h === null ? `the file is empty: expected the header "${TRACE_CSV_HEADER}"` : `expected the header "${TRACE_CSV_HEADER}" (is this one of our CSV traces? other layouts: format twitter or libcachesim-csv)`);
  }

  /*
   * The fast path: a row of the usual shape (plain decimals of at most 15 digits, op GET/SET/DEL in any
   * case, key of 1 to 65535 bytes, in time order), parsed in one pass with the fields read as it goes;
   * it gives the request row() would. Any other line (the header, blank, malformed, or just written
   * differently, such as " 7" or "1e3") goes to line1() → row(), which parses it again from the start:
   * nothing is changed before a line is known to be taken here.
   */
  protected override lines(b: Uint8Array, p: number, last: number, batch: TraceBatch): number {
    const cap = batch.capacity;
    const { t, op, key, vlen, ttlMs, nextAccess } = batch;
    const keys = this.keys, reg = this.reg, readOp = this.readOp;
    let n = batch.n;
    let prevUs = this.prevUs;
    while (p <= last && n < cap) {
      // every line from p on ends with a \n at or before `last`: the scans below stop there at the latest
      fast: {
        if (this.line === 0) break fast; // the header
        let i = p, c = 0, m = 0, nd = 0, k = 0;
        // t_ms: digits [. digits]
        while ((c = b[i] - 48) >= 0 && c <= 9) {
          m = m * 10 + c;
          nd++;
          i++;
        }
        if (b[i] === 46 /* . */) {
          for (i++; (c = b[i] - 48) >= 0 && c <= 9; i++) {
            m = m * 10 + c;
            nd++;
            k++;
          }
        }
        if (b[i] !== 44 || nd === 0 || nd > 15) break fast;
        const us = Math.round((k === 0 ? m : m / POW10[k]) * 1000);
        if (us < prevUs) break fast;
        // op: three letters
        if (i + 4 >= last) break fast; // (so as not to read past the chunk)
        const o0 = b[i + 1] | 0x20, o1 = b[i + 2] | 0x20, o2 = b[i + 3] | 0x20;
        if (b[i + 4] !== 44) break fast;
        let o: number;
        if (o0 === 103 && o1 === 101 && o2 === 116) o = readOp; // get
        else if (o0 === 115 && o1 === 101 && o2 === 116) o = OP_SET; // set
        else if (o0 === 100 && o1 === 101 && o2 === 108) o = OP_DEL; // del
        else break fast;
        // key
        const ks = i + 5;
        for (i = ks; (c = b[i]) !== 44 && c !== 10; i++);
        const ke = i;
        if (c !== 44 || ke === ks || ke - ks > 65535) break fast;
        // value_size: digits, empty = 0
        m = 0;
        nd = 0;
        for (i++; (c = b[i] - 48) >= 0 && c <= 9; i++) {
          m = m * 10 + c;
          nd++;
        }
        if (b[i] !== 44 || nd > 15) break fast;
        const size = m;
        // ttl_s: empty = 0, or digits [. digits], or . digits; then the line end
        m = 0;
        nd = 0;
        k = 0;
        for (i++; (c = b[i] - 48) >= 0 && c <= 9; i++) {
          m = m * 10 + c;
          nd++;
        }
        if (b[i] === 46) {
          for (i++; (c = b[i] - 48) >= 0 && c <= 9; i++) {
            m = m * 10 + c;
            nd++;
            k++;
          }
          if (nd === 0) break fast;
        }
        if (b[i] === 13 /* \r */) i++;
        if (b[i] !== 10 || nd > 15) break fast;
        const ttl = k === 0 ? m : m / POW10[k];

        this.line++;
        const before = keys.size;
        const id = keys.intern(b, ks, ke);
        if (id === before) reg.defineKey(id, 0, ke - ks);
        t[n] = us;
        op[n] = o;
        key[n] = id;
        vlen[n] = size;
        ttlMs[n] = Math.round(ttl * 1000);
        nextAccess[n] = NaN;
        n++;
        prevUs = us;
        p = i + 1;
        continue;
      }
      let e = p;
      while (b[e] !== 10) e++;
      batch.n = n;
      this.prevUs = prevUs;
      this.line1(b, p, e, batch);
      n = batch.n;
      prevUs = this.prevUs;
      p = e + 1;
    }
    batch.n = n;
    this.prevUs = prevUs;
    return p;
  }

  protected row(b: Uint8Array, s: number, e: number, batch: TraceBatch): void {
    const n = this.split(b, s, e, 44 /* , */);
    if (n !== 5) this.fail(`expected 5 fields (${TRACE_CSV_HEADER}), found ${n}`);
    const fs = this.fs, fe = this.fe;

    const t = fs[0] === fe[0] ? NaN : num(b, fs[0], fe[0]);
    if (!(t >= 0 && t < Infinity)) this.fail(`t_ms ${JSON.stringify(this.field(b, 0))} is not a time in ms ≥ 0`);
    const us = Math.round(t * 1000);
    if (us > MAX_TRACE_TIME_US) this.fail(absurdTime(`t_ms ${this.field(b, 0)}`));
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

    this.push(batch, us, op, b, ks, ke, ke - ks, size, ttl);
    this.prevUs = us;
  }
}
