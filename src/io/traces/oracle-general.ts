import { InputError } from "../../errors.ts";
import { OP_CACHE_GET, OP_GET, type KeyRegistry } from "../../workload/request.ts";
import { digits } from "../../core/digits.ts";
import { TraceBatch, type TraceReader } from "../../workload/trace.ts";
import { U64Interner, u64ToString } from "./intern.ts";
import { recordSpans } from "./source.ts";
import type { TraceMode } from "../../workload/config.ts";

/*
 * libCacheSim's oracleGeneral binary trace: fixed 24-byte little-endian records, no header,
 *   uint32 time (s) | uint64 obj_id | uint32 obj_size | int64 next_access_vtime
 * where next_access_vtime is the 1-based index of the next request to the same object (−1, or
 * INT64_MAX in some writers, if none). Every record is a read of obj_size bytes with look-aside fill
 * (OP_CACHE_GET; OP_GET in mode literal), without TTL. Times are rebased so the first record is at 0
 * (the files carry absolute seconds). Key name = decimal obj_id; key length = its digit count.
 * The hot loop reads each record in place through a DataView on the chunk; a record cut by a chunk
 * boundary is assembled in a 24-byte carry buffer. Nothing is allocated per record.
 */

const REC = 24;
const NONE_HI = 0x200000; // a next_access_vtime ≥ 2^53 (INT64_MAX) means none, as a negative does

export class OracleGeneralReader implements TraceReader {
  private readonly file: string;
  private readonly readOp: number;
  private readonly keys = new U64Interner();
  private read = false;
  private reg!: KeyRegistry;
  /** Records read so far. */
  private rec = 0;
  /** First record's time, s (−1 before it). */
  private t0 = -1;
  private prevS = 0;

  constructor(file: string, mode: TraceMode = "cache-aside") {
    this.file = file;
    this.readOp = mode === "cache-aside" ? OP_CACHE_GET : OP_GET;
  }

  get distinctKeys(): number {
    return this.keys.size;
  }

  keyName(key: number): string {
    return u64ToString(this.keys.loOf(key), this.keys.hiOf(key));
  }

  async *batches(reg: KeyRegistry): AsyncGenerator<TraceBatch, void, undefined> {
    if (this.read) throw new Error(`${this.file}: a trace reader can be read only once`);
    this.read = true;
    const file = this.file;
    const batch = new TraceBatch();
    const cap = batch.capacity;
    this.reg = reg;

    for await (const span of recordSpans(file, REC, "oracleGeneral records")) {
      let p = span.start;
      while (p < span.end) {
        const stop = Math.min(span.end, p + (cap - batch.n) * REC);
        this.records(span.dv, p, stop, batch);
        p = stop;
        if (batch.n === cap) {
          yield batch;
          batch.n = 0;
        }
      }
    }
    if (batch.n > 0) yield batch;
  }

  /** The records at bytes [p, stop) of `dv` (a whole number of them, room for all in `batch`) into `batch`. */
  private records(dv: DataView, p: number, stop: number, batch: TraceBatch): void {
    const { t, op, key, vlen, ttlMs, nextAccess } = batch;
    const keys = this.keys, reg = this.reg, readOp = this.readOp;
    let n = batch.n;
    let t0 = this.t0, prevS = this.prevS;
    for (; p < stop; p += REC) {
      const ts = dv.getUint32(p, true);
      const lo = dv.getUint32(p + 4, true);
      const hi = dv.getUint32(p + 8, true);
      if (ts < prevS) throw backwards(this.file, this.rec + (n - batch.n) + 1, ts, prevS);
      if (t0 < 0) t0 = ts;
      prevS = ts;
      const before = keys.size;
      const id = keys.intern(lo, hi);
      if (id === before) reg.defineKey(id, 0, hi === 0 ? digits(lo) : u64ToString(lo, hi).length);
      const nhi = dv.getInt32(p + 20, true);
      t[n] = (ts - t0) * 1_000_000;
      op[n] = readOp;
      key[n] = id;
      vlen[n] = dv.getUint32(p + 12, true);
      ttlMs[n] = 0;
      nextAccess[n] = nhi < 0 || nhi >= NONE_HI ? -1 : nhi * 4294967296 + dv.getUint32(p + 16, true) - 1;
      n++;
    }
    this.rec += n - batch.n;
    batch.n = n;
    this.t0 = t0;
    this.prevS = prevS;
  }
}


function backwards(file: string, record: number, ts: number, prev: number): InputError {
  return new InputError(`${file}: record ${record}: time ${ts} s is earlier than the previous record's ${prev} s: a trace must be in time order`);
}
