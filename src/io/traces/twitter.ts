import { OP_DEL, OP_SET } from "../../workload/request.ts";
import type { TraceBatch } from "../../workload/trace.ts";
import { BytesKeyLineReader, isWord, num } from "./lines.ts";
import { absurdTime, MAX_TRACE_TIME_US } from "./source.ts";
import type { TraceMode } from "../../workload/config.ts";

/*
 * Twitter's production cache traces (twitter/cache-trace, the format of libCacheSim's twitter_cluster*
 * samples): CSV without a header,
 *   timestamp (s), anonymized key, key size, value size, client id, operation, TTL (s)
 * operation get/gets → a read (OP_CACHE_GET filled with the row's value size and TTL on a miss, or
 * OP_GET in mode literal); set/add/replace/cas/append/prepend/incr/decr → SET with the row's value size
 * and TTL (0 = none); delete → DEL. The key's length is the row's key size (the anonymised string is not
 * the original key), taken from the key's first row. Times are rebased so the first row is at 0. A key
 * containing commas is tolerated: the first field is the time and the last five are the fixed columns.
 */

const FIELDS = "timestamp,key,key size,value size,client id,operation,TTL";
const COMMA = 44;
const READS = ["get", "gets"];
const WRITES = ["set", "add", "replace", "cas", "append", "prepend", "incr", "decr"];

export class TwitterTraceReader extends BytesKeyLineReader {
  private t0 = -1;
  private prevUs = 0;

  constructor(file: string, mode: TraceMode = "cache-aside") {
    super(file, false, mode);
  }

  protected row(b: Uint8Array, s: number, e: number, batch: TraceBatch): void {
    const fs = this.fs, fe = this.fe;
    // field 0 up to the first comma, fields 2..6 after the last five commas, the key in between
    let c = s;
    while (c < e && b[c] !== COMMA) c++;
    fs[0] = s;
    fe[0] = c;
    let q = e;
    for (let j = 6; j >= 2; j--) {
      let r = q - 1;
      while (r > c && b[r] !== COMMA) r--;
      if (r <= c) {
        let n = 1;
        for (let i = s; i < e; i++) if (b[i] === COMMA) n++;
        this.fail(`expected 7 fields (${FIELDS}), found ${n}`);
      }
      fs[j] = r + 1;
      fe[j] = q;
      q = r;
    }
    fs[1] = c + 1;
    fe[1] = q;

    const ts = fs[0] === fe[0] ? NaN : num(b, fs[0], fe[0]);
    if (!(ts >= 0 && ts < Infinity)) this.fail(`timestamp ${JSON.stringify(this.field(b, 0))} is not a time in seconds ≥ 0`);
    if (this.t0 < 0) this.t0 = ts;
    const us = Math.round((ts - this.t0) * 1_000_000);
    if (us > MAX_TRACE_TIME_US) this.fail(absurdTime(`timestamp ${this.field(b, 0)}`));
    if (us < this.prevUs) this.fail(`timestamp ${this.field(b, 0)} is earlier than the previous row: a trace must be in time order`);

    if (fs[1] === fe[1]) this.fail(`empty key`);
    const keyLen = fs[2] === fe[2] ? NaN : num(b, fs[2], fe[2]);
    if (!Number.isInteger(keyLen) || keyLen < 0) this.fail(`key size ${JSON.stringify(this.field(b, 2))} is not a whole number of bytes ≥ 0`);
    const size = fs[3] === fe[3] ? NaN : num(b, fs[3], fe[3]);
    if (!Number.isInteger(size) || size < 0) this.fail(`value size ${JSON.stringify(this.field(b, 3))} is not a whole number of bytes ≥ 0`);
    const ttl = fs[6] === fe[6] ? 0 : num(b, fs[6], fe[6]);
    if (!(ttl >= 0 && ttl < Infinity)) this.fail(`TTL ${JSON.stringify(this.field(b, 6))} is not a number of seconds ≥ 0 (0 = none)`);

    const os = fs[5], oe = fe[5];
    let op = -1;
    for (let i = 0; i < READS.length && op < 0; i++) if (isWord(b, os, oe, READS[i])) op = this.readOp;
    for (let i = 0; i < WRITES.length && op < 0; i++) if (isWord(b, os, oe, WRITES[i])) op = OP_SET;
    if (op < 0 && isWord(b, os, oe, "delete")) op = OP_DEL;
    if (op < 0) this.fail(`operation ${JSON.stringify(this.field(b, 5))} is not one of ${[...READS, ...WRITES, "delete"].join(", ")}`);

    this.push(batch, us, op, b, fs[1], fe[1], keyLen, size, ttl);
    this.prevUs = us;
  }
}
