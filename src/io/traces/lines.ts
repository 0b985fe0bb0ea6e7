import { cut, InputError } from "../../errors.ts";
import { OP_CACHE_GET, OP_GET, type KeyRegistry } from "../../workload/request.ts";
import { TraceBatch, type TraceReader } from "../../workload/trace.ts";
import { BytesInterner } from "./intern.ts";
import { openBytesReused } from "./source.ts";
import type { TraceMode } from "../../workload/config.ts";

/*
 * The common part of the text trace readers: split the (decompressed) byte stream into lines without
 * decoding it to strings, hand each non-blank line to the format's `row`, which parses its fields in
 * place and appends one request to the batch; yield the batch whenever it is full. A line cut by a
 * chunk boundary is carried over (copied) into the next chunk. Lines end with \n or \r\n; line numbers
 * in messages count every line, blank ones and the header included, from 1.
 */

const MAX_FIELDS = 64;
const NL = 10;
const CR = 13;

export abstract class LineTraceReader implements TraceReader {
  protected readonly file: string;
  private readonly hasHeader: boolean;
  /** 1-based number of the line being parsed. */
  protected line = 0;
  protected reg!: KeyRegistry;
  /** Byte ranges [fs[i], fe[i]) of the fields of the last split() (the first 64 fields). */
  protected readonly fs = new Int32Array(MAX_FIELDS);
  protected readonly fe = new Int32Array(MAX_FIELDS);
  private read = false;

  constructor(file: string, hasHeader: boolean) {
    this.file = file;
    this.hasHeader = hasHeader;
  }

  abstract readonly distinctKeys: number;
  abstract keyName(key: number): string;

  /** Checks line 1 of a format with a header; `b` null for an empty file. */
  protected header(_b: Uint8Array | null, _s: number, _e: number): void {}

  /** Parses the non-blank line b[s, e) (without its line end) into request `batch.n++`. */
  protected abstract row(b: Uint8Array, s: number, e: number, batch: TraceBatch): void;

  async *batches(reg: KeyRegistry): AsyncGenerator<TraceBatch, void, undefined> {
    if (this.read) throw new Error(`${this.file}: a trace reader can be read only once`);
    this.read = true;
    this.reg = reg;
    const batch = new TraceBatch();
    const cap = batch.capacity;
    let carry = new Uint8Array(1 << 12);
    let carryLen = 0;
    const keep = (b: Uint8Array, s: number, e: number) => {
      if (carryLen + e - s > carry.length) {
        let n = carry.length * 2;
        while (n < carryLen + e - s) n *= 2;
        const c = new Uint8Array(n);
        c.set(carry.subarray(0, carryLen));
        carry = c;
      }
      carry.set(b.subarray(s, e), carryLen);
      carryLen += e - s;
    };
    for await (const chunk of openBytesReused(this.file)) {
      let p = 0;
      const last = chunk.lastIndexOf(NL);
      if (carryLen > 0) {
        if (last < 0) {
          keep(chunk, 0, chunk.length);
          continue;
        }
        let e = 0;
        while (chunk[e] !== NL) e++;
        keep(chunk, 0, e);
        this.line1(carry, 0, carryLen, batch);
        carryLen = 0;
        p = e + 1;
        if (batch.n === cap) {
          yield batch;
          batch.n = 0;
        }
      }
      while (p <= last) {
        p = this.lines(chunk, p, last, batch);
        if (batch.n === cap) {
          yield batch;
          batch.n = 0;
        }
      }
      if (p < chunk.length) keep(chunk, p, chunk.length);
    }
    if (carryLen > 0) this.line1(carry, 0, carryLen, batch);
    if (this.hasHeader && this.line === 0) this.header(null, 0, 0);
    if (batch.n > 0) yield batch;
  }

  /**
   * Parses the lines from b[p] on, each ended by \n, up to and including the one ending at b[last] (a
   * \n) or until `batch` is full; returns where the next line starts. A format may override this with a
   * faster parser for its common rows that hands any other line to line1().
   */
  protected lines(b: Uint8Array, p: number, last: number, batch: TraceBatch): number {
    const cap = batch.capacity;
    while (p <= last && batch.n < cap) {
      let e = p;
      while (b[e] !== NL) e++; // stops at `last` at the latest
      this.line1(b, p, e, batch);
      p = e + 1;
    }
    return p;
  }

  /** Parses the line b[s, e) (without its \n): the header, a blank line or a row. */
  protected line1(b: Uint8Array, s: number, e: number, batch: TraceBatch): void {
    this.line++;
    if (e > s && b[e - 1] === CR) e--;
    if (this.line === 1 && this.hasHeader) this.header(b, s, e);
    else if (e > s) this.row(b, s, e, batch);
  }

  /** Splits b[s, e) at `delim` into fs/fe; returns the number of fields (which may exceed the 64 recorded). */
  protected split(b: Uint8Array, s: number, e: number, delim: number): number {
    const fs = this.fs, fe = this.fe;
    let k = 0;
    let start = s;
    for (let i = s; i < e; i++) {
      if (b[i] === delim) {
        if (k < MAX_FIELDS) {
          fs[k] = start;
          fe[k] = i;
        }
        k++;
        start = i + 1;
      }
    }
    if (k < MAX_FIELDS) {
      fs[k] = start;
      fe[k] = e;
    }
    return k + 1;
  }

  /** Field i of the last split() as text for messages: at most 24 characters (cut with "…"). */
  protected field(b: Uint8Array, i: number): string {
    const s = this.fs[i], e = this.fe[i];
    return cut(text(b, s, Math.min(e, s + 96)), 24);
  }

  protected fail(msg: string): never {
    throw new InputError(`${this.file}:${this.line}: ${msg}`);
  }
}

/** b[s, e) decoded as UTF-8. */
export function text(b: Uint8Array, s: number, e: number): string {
  return Buffer.from(b.buffer, b.byteOffset + s, e - s).toString("utf8");
}

/** POW10[k] = 10^k, exact, k ≤ 15. */
export const POW10 = new Float64Array([1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]);

/**
 * The number written in b[s, e), as JavaScript's Number() reads the same text (NaN when it is not a
 * number; note Number("") is 0, so test for an empty field first). Plain decimals (`123`, `1.25`) of up
 * to 15 significant digits are parsed in place, exactly (an integer below 2^53 divided by an exact
 * power of ten rounds once, as Number() does); anything else goes through Number() on the text.
 */
export function num(b: Uint8Array, s: number, e: number): number {
  let m = 0;
  let nd = 0;
  let i = s;
  for (; i < e; i++) {
    const c = b[i] - 48;
    if (c < 0 || c > 9) break;
    m = m * 10 + c;
    nd++;
  }
  if (i === e) {
    if (nd > 0 && nd <= 15) return m;
  } else if (b[i] === 46 /* . */) {
    let k = 0;
    for (i++; i < e; i++) {
      const c = b[i] - 48;
      if (c < 0 || c > 9) break;
      m = m * 10 + c;
      nd++;
      k++;
    }
    if (i === e && nd > 0 && nd <= 15) return m / POW10[k];
  }
  return Number(Buffer.from(b.buffer, b.byteOffset + s, e - s).toString("latin1"));
}

/** True when b[s, e) equals the ASCII word `w` (given in lower case), ignoring case. */
export function isWord(b: Uint8Array, s: number, e: number, w: string): boolean {
  if (e - s !== w.length) return false;
  for (let i = 0; i < w.length; i++) if ((b[s + i] | 0x20) !== w.charCodeAt(i)) return false;
  return true;
}

/** A line reader whose keys are byte strings, interned as read (our CSV, Twitter). */
export abstract class BytesKeyLineReader extends LineTraceReader {
  protected readonly keys = new BytesInterner();
  /** The op of a read: OP_CACHE_GET (cache-aside) or OP_GET (literal). */
  protected readonly readOp: number;

  constructor(file: string, hasHeader: boolean, mode: TraceMode) {
    super(file, hasHeader);
    this.readOp = mode === "cache-aside" ? OP_CACHE_GET : OP_GET;
  }

  get distinctKeys(): number {
    return this.keys.size;
  }

  keyName(key: number): string {
    return this.keys.name(key);
  }

  /** Appends one parsed row: key b[ks, ke) (interned, declared when new with length `keyLen`). */
  protected push(batch: TraceBatch, us: number, op: number, b: Uint8Array, ks: number, ke: number, keyLen: number, size: number, ttlS: number): void {
    const keys = this.keys;
    const before = keys.size;
    const id = keys.intern(b, ks, ke);
    if (id === before) this.reg.defineKey(id, 0, keyLen);
    const i = batch.n++;
    batch.t[i] = us;
    batch.op[i] = op;
    batch.key[i] = id;
    batch.vlen[i] = size;
    batch.ttlMs[i] = Math.round(ttlS * 1000);
    batch.nextAccess[i] = NaN;
  }
}
