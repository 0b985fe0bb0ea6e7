import { InputError } from "../../errors.ts";
import { OP_CACHE_GET, OP_DEL, OP_GET, OP_SET } from "../../workload/request.ts";
import { digits } from "../../core/digits.ts";
import type { TraceBatch } from "../../workload/trace.ts";
import { BytesInterner, U64Interner, u64ToString } from "./intern.ts";
import { isWord, LineTraceReader, num } from "./lines.ts";
import { absurdTime, MAX_TRACE_TIME_US } from "./source.ts";
import type { TraceMode } from "../../workload/config.ts";

/*
 * libCacheSim's generic CSV trace with a column mapping, as its `-t "time-col=2, obj-id-col=5,
 * obj-size-col=4, delimiter=,, has-header=true, obj-id-is-num=true"` (columns numbered from 1).
 * Without an op column every row is a read with look-aside fill (OP_CACHE_GET; OP_GET in mode literal)
 * of the row's size. With one, the operation words libCacheSim knows (read/get, write/set, delete) and
 * memcached's (gets, add, replace, cas, append, prepend, incr, decr) are accepted, in any case. The TTL
 * column is in seconds, 0 = none. Times are in `timeUnit` and rebased so the first row is at 0.
 * Numeric object ids (obj-id-is-num, the default) are unsigned 64-bit decimals, named by their
 * decimal value; other ids are kept as text. Fields are not quoted.
 */

export interface LibCacheSimCsvOptions {
  mode?: TraceMode;
  /** 1-based column numbers. */
  timeCol: number;
  objIdCol: number;
  objSizeCol: number;
  opCol?: number;
  ttlCol?: number;
  /** One character (default ","). */
  delimiter?: string;
  /** Skip line 1 (default true). */
  hasHeader?: boolean;
  /** Ids are unsigned integers (default true). */
  objIdIsNum?: boolean;
  timeUnit?: "s" | "ms" | "us";
}

const US_PER_UNIT = { s: 1_000_000, ms: 1_000, us: 1 } as const;
const READS = ["read", "get", "gets"];
const WRITES = ["write", "set", "add", "replace", "cas", "append", "prepend", "incr", "decr"];
const DELETES = ["delete", "del"];
const TWO32 = 4294967296;

export class LibCacheSimCsvReader extends LineTraceReader {
  private readonly numIds = new U64Interner();
  private readonly textIds = new BytesInterner();
  private readonly readOp: number;
  private readonly time: number;
  private readonly id: number;
  private readonly size: number;
  private readonly opc: number;
  private readonly ttl: number;
  private readonly minFields: number;
  private readonly delim: number;
  private readonly idIsNum: boolean;
  private readonly usPerUnit: number;
  private t0 = NaN;
  private prevUs = 0;

  constructor(file: string, opts: LibCacheSimCsvOptions) {
    super(file, opts.hasHeader ?? true);
    this.readOp = (opts.mode ?? "cache-aside") === "cache-aside" ? OP_CACHE_GET : OP_GET;
    const col = (name: string, v: number | undefined, required: boolean): number => {
      if (v === undefined && !required) return -1;
      if (!Number.isInteger(v) || v! < 1 || v! > 64)
        throw new InputError(`${file}: libcachesim-csv ${name} ${v === undefined ? "is missing" : `${v} is not a column number from 1 to 64`}`);
      return v! - 1;
    };
    this.time = col("time-col", opts.timeCol, true);
    this.id = col("obj-id-col", opts.objIdCol, true);
    this.size = col("obj-size-col", opts.objSizeCol, true);
    this.opc = col("op-col", opts.opCol, false);
    this.ttl = col("ttl-col", opts.ttlCol, false);
    this.minFields = Math.max(this.time, this.id, this.size, this.opc, this.ttl) + 1;
    const d = opts.delimiter ?? ",";
    if (d.length !== 1 || d.charCodeAt(0) > 127) throw new InputError(`${file}: libcachesim-csv delimiter ${JSON.stringify(d)} is not one ASCII character`);
    this.delim = d.charCodeAt(0);
    this.idIsNum = opts.objIdIsNum ?? true;
    this.usPerUnit = US_PER_UNIT[opts.timeUnit ?? "s"];
  }

  get distinctKeys(): number {
    return this.idIsNum ? this.numIds.size : this.textIds.size;
  }

  keyName(key: number): string {
    return this.idIsNum ? u64ToString(this.numIds.loOf(key), this.numIds.hiOf(key)) : this.textIds.name(key);
  }

  private what(i: number): string {
    const name = i === this.time ? "time-col" : i === this.id ? "obj-id-col" : i === this.size ? "obj-size-col" : i === this.opc ? "op-col" : "ttl-col";
    return `column ${i + 1} (${name})`;
  }

  protected row(b: Uint8Array, s: number, e: number, batch: TraceBatch): void {
    const n = this.split(b, s, e, this.delim);
    if (n < this.minFields)
      this.fail(`expected at least ${this.minFields} fields separated by ${JSON.stringify(String.fromCharCode(this.delim))}, found ${n}`);
    const fs = this.fs, fe = this.fe;

    const tc = this.time;
    const tv = fs[tc] === fe[tc] ? NaN : num(b, fs[tc], fe[tc]);
    if (!(tv >= 0 && tv < Infinity)) this.fail(`${this.what(tc)}: ${JSON.stringify(this.field(b, tc))} is not a time ≥ 0`);
    if (this.t0 !== this.t0) this.t0 = tv;
    const us = Math.round((tv - this.t0) * this.usPerUnit);
    if (us > MAX_TRACE_TIME_US) this.fail(absurdTime(`${this.what(tc)}: time ${this.field(b, tc)}`));
    if (us < this.prevUs) this.fail(`${this.what(tc)}: time ${this.field(b, tc)} is earlier than the previous row's: a trace must be in time order`);

    const sc = this.size;
    const size = fs[sc] === fe[sc] ? NaN : num(b, fs[sc], fe[sc]);
    if (!Number.isInteger(size) || size < 0) this.fail(`${this.what(sc)}: ${JSON.stringify(this.field(b, sc))} is not a whole number of bytes ≥ 0`);

    let op = this.readOp;
    const oc = this.opc;
    if (oc >= 0) {
      const os = fs[oc], oe = fe[oc];
      op = -1;
      for (let i = 0; i < READS.length && op < 0; i++) if (isWord(b, os, oe, READS[i])) op = this.readOp;
      for (let i = 0; i < WRITES.length && op < 0; i++) if (isWord(b, os, oe, WRITES[i])) op = OP_SET;
      for (let i = 0; i < DELETES.length && op < 0; i++) if (isWord(b, os, oe, DELETES[i])) op = OP_DEL;
      if (op < 0) this.fail(`${this.what(oc)}: operation ${JSON.stringify(this.field(b, oc))} is not one of ${[...READS, ...WRITES, ...DELETES].join(", ")}`);
    }

    let ttlMs = 0;
    const xc = this.ttl;
    if (xc >= 0 && fs[xc] !== fe[xc]) {
      const ttl = num(b, fs[xc], fe[xc]);
      if (!(ttl >= 0 && ttl < Infinity)) this.fail(`${this.what(xc)}: ${JSON.stringify(this.field(b, xc))} is not a TTL in seconds ≥ 0 (0 = none)`);
      ttlMs = Math.round(ttl * 1000);
    }

    const ic = this.id;
    const is = fs[ic], ie = fe[ic];
    let id: number;
    if (this.idIsNum) {
      // unsigned 64-bit decimal, as lo + hi·2^32, without allocating
      let lo = 0, hi = 0;
      let i = is;
      for (; i < ie; i++) {
        const c = b[i] - 48;
        if (c < 0 || c > 9) break;
        const x = lo * 10 + c;
        const carry = Math.floor(x / TWO32);
        lo = x - carry * TWO32;
        hi = hi * 10 + carry;
        if (hi >= TWO32) break;
      }
      if (i !== ie || ie === is)
        this.fail(`${this.what(ic)}: ${JSON.stringify(this.field(b, ic))} is not an unsigned 64-bit integer (give obj-id-is-num: false for text ids)`);
      const ids = this.numIds;
      const before = ids.size;
      id = ids.intern(lo, hi);
      if (id === before) this.reg.defineKey(id, 0, hi === 0 ? digits(lo) : u64ToString(lo, hi).length);
    } else {
      if (is === ie) this.fail(`${this.what(ic)}: empty object id`);
      const ids = this.textIds;
      const before = ids.size;
      id = ids.intern(b, is, ie);
      if (id === before) this.reg.defineKey(id, 0, ie - is);
    }

    const i = batch.n++;
    batch.t[i] = us;
    batch.op[i] = op;
    batch.key[i] = id;
    batch.vlen[i] = size;
    batch.ttlMs[i] = ttlMs;
    batch.nextAccess[i] = NaN;
    this.prevUs = us;
  }
}
