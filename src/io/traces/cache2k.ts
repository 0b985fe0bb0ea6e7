import { InputError } from "../../errors.ts";
import { OP_CACHE_GET, OP_GET, type KeyRegistry } from "../../workload/request.ts";
import { digits } from "../../core/digits.ts";
import { TraceBatch, type TraceReader } from "../../workload/trace.ts";
import { U64Interner } from "./intern.ts";
import { absurdTime, MAX_TRACE_TIME_US, recordSpans } from "./source.ts";
import type { TraceMode } from "../../workload/config.ts";

/*
 * cache2k / Caffeine integer traces (`*.trace`, usually `*.trace.xz`): a stream of big-endian signed
 * 32-bit keys, one per request, with no time, size or operation. Every record is a read with look-aside
 * fill (OP_CACHE_GET; OP_GET in mode literal) of `valueSize` bytes, without TTL; request i is at
 * i / rate seconds (rounded to the µs). Key name = the decimal (signed) integer.
 */

const REC = 4;

export interface Cache2kOptions {
  mode?: TraceMode;
  /** Requests per second, evenly spaced (default 1000). */
  rate?: number;
  /** Value bytes of every request (default 100). */
  valueSize?: number;
}

export class Cache2kReader implements TraceReader {
  private readonly file: string;
  private readonly readOp: number;
  private readonly usPerReq: number;
  private readonly valueSize: number;
  private readonly keys = new U64Interner();
  private read = false;

  constructor(file: string, opts: Cache2kOptions = {}) {
    this.file = file;
    this.readOp = (opts.mode ?? "cache-aside") === "cache-aside" ? OP_CACHE_GET : OP_GET;
    const rate = opts.rate ?? 1000;
    if (!(rate > 0 && rate < Infinity)) throw new InputError(`${file}: rate ${rate} is not a number of requests per second > 0`);
    this.usPerReq = 1_000_000 / rate;
    if (this.usPerReq > MAX_TRACE_TIME_US) throw new InputError(`${file}: rate ${rate}/s spaces requests more than a million years apart: give a rate in requests per second`);
    this.valueSize = opts.valueSize ?? 100;
  }

  get distinctKeys(): number {
    return this.keys.size;
  }

  keyName(key: number): string {
    return String(this.keys.loOf(key));
  }

  async *batches(reg: KeyRegistry): AsyncGenerator<TraceBatch, void, undefined> {
    if (this.read) throw new Error(`${this.file}: a trace reader can be read only once`);
    this.read = true;
    const file = this.file;
    const batch = new TraceBatch();
    const cap = batch.capacity;
    const { t, op, key, vlen, ttlMs, nextAccess } = batch;
    const keys = this.keys;
    const readOp = this.readOp, usPerReq = this.usPerReq, valueSize = this.valueSize;
    let rec = 0;

    for await (const span of recordSpans(file, REC, "keys")) {
      const dv = span.dv;
      let p = span.start;
      while (p < span.end) {
        let n = batch.n;
        const stop = Math.min(span.end, p + (cap - n) * REC);
        for (; p < stop; p += REC) {
          const k = dv.getInt32(p, false);
          const before = keys.size;
          const id = keys.intern(k, 0);
          if (id === before) reg.defineKey(id, 0, k < 0 ? digits(-k) + 1 : digits(k));
          t[n] = Math.round(rec * usPerReq);
          op[n] = readOp;
          key[n] = id;
          vlen[n] = valueSize;
          ttlMs[n] = 0;
          nextAccess[n] = NaN;
          rec++;
          n++;
        }
        batch.n = n;
        if (n > 0 && t[n - 1] > MAX_TRACE_TIME_US)
          throw new InputError(`${file}: key ${rec}: ${absurdTime(`its time (${rec} requests at ${1e6 / usPerReq}/s)`)}`);
        if (n === cap) {
          yield batch;
          batch.n = 0;
        }
      }
    }
    if (batch.n > 0) yield batch;
  }
}

